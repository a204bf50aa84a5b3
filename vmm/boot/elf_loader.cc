#include "vmm/boot/elf_loader.h"

#include <elf.h>

#include <cstring>
#include <string>

#include "common/error.h"
#include "vmm/layout.h"

namespace strato::vmm {

namespace {

// Xen ELF note type carrying the 32-bit PVH entry point (xen/include/public/elfnote.h).
constexpr uint32_t kXenElfNotePhys32Entry = 18;
constexpr char kXenNoteName[] = "Xen";
// Refuse absurd program-header tables instead of looping over them.
constexpr uint16_t kMaxProgramHeaders = 128;

std::string Hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
  return b;
}

uint64_t AlignUp(uint64_t v, uint64_t a) {
  return (v + a - 1) & ~(a - 1);
}

// Scans one PT_NOTE segment's bytes for the Xen PVH entry note.
std::optional<uint32_t> FindPvhEntry(std::span<const uint8_t> notes) {
  size_t pos = 0;
  while (notes.size() - pos >= sizeof(Elf64_Nhdr)) {
    Elf64_Nhdr n;
    std::memcpy(&n, notes.data() + pos, sizeof n);
    pos += sizeof n;
    uint64_t name_size = AlignUp(n.n_namesz, 4);
    uint64_t desc_size = AlignUp(n.n_descsz, 4);
    if (name_size > notes.size() - pos || desc_size > notes.size() - pos - name_size) break;
    const uint8_t* name = notes.data() + pos;
    const uint8_t* desc = name + name_size;
    if (n.n_type == kXenElfNotePhys32Entry && n.n_namesz == sizeof(kXenNoteName) &&
        std::memcmp(name, kXenNoteName, sizeof(kXenNoteName)) == 0 && n.n_descsz >= 4) {
      uint32_t entry;
      std::memcpy(&entry, desc, sizeof entry);
      return entry;
    }
    pos += name_size + desc_size;
  }
  return std::nullopt;
}

}  // namespace

bool LooksLikeElf(std::span<const uint8_t> image) {
  return image.size() >= SELFMAG && std::memcmp(image.data(), ELFMAG, SELFMAG) == 0;
}

LoadedKernel LoadElf(std::span<const uint8_t> image, const GuestMemory& memory,
                     const std::string& name) {
  auto fail = [&name](const std::string& why) -> Error {
    return Error(name + ": not a loadable x86-64 ELF kernel: " + why);
  };
  if (image.size() < sizeof(Elf64_Ehdr)) throw fail("file is shorter than an ELF header");
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) throw fail("no ELF magic");
  if (eh.e_ident[EI_CLASS] != ELFCLASS64) throw fail("not a 64-bit ELF");
  if (eh.e_ident[EI_DATA] != ELFDATA2LSB) throw fail("not little-endian");
  if (eh.e_machine != EM_X86_64)
    throw fail("machine " + std::to_string(eh.e_machine) + " is not x86-64");
  if (eh.e_type != ET_EXEC) throw fail("not an executable (ET_EXEC) image");
  if (eh.e_phentsize != sizeof(Elf64_Phdr)) throw fail("unexpected program header size");
  if (eh.e_phnum == 0 || eh.e_phnum > kMaxProgramHeaders) {
    throw fail(std::to_string(eh.e_phnum) + " program headers");
  }
  if (eh.e_phoff > image.size() ||
      uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > image.size() - eh.e_phoff) {
    throw fail("program header table is outside the file (truncated?)");
  }

  LoadedKernel k;
  k.format = KernelFormat::kElf;
  k.entry = eh.e_entry;
  bool entry_in_segment = false;
  int loads = 0;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, image.data() + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
    if (ph.p_offset > image.size() || ph.p_filesz > image.size() - ph.p_offset) {
      throw fail("segment " + std::to_string(i) + " data is outside the file (truncated?)");
    }
    auto data = image.subspan(ph.p_offset, ph.p_filesz);
    if (ph.p_type == PT_NOTE) {
      if (auto pvh = FindPvhEntry(data)) k.pvh_entry = pvh;
      continue;
    }
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    if (ph.p_filesz > ph.p_memsz)
      throw fail("segment " + std::to_string(i) + " has filesz > memsz");
    if (ph.p_paddr < layout::kHighMemoryStart) {
      throw fail("segment " + std::to_string(i) + " loads at " + Hex(ph.p_paddr) +
                 ", below 1 MiB where the boot structures live");
    }
    uint8_t* dst = memory.HostRange(ph.p_paddr, ph.p_memsz);
    if (dst == nullptr) {
      throw Error(name + ": segment " + std::to_string(i) + " [" + Hex(ph.p_paddr) + ", +" +
                  Hex(ph.p_memsz) + ") does not fit in guest RAM (" +
                  std::to_string(memory.size() >> 20) + " MiB): give the VM more memory");
    }
    if (ph.p_filesz != 0) std::memcpy(dst, data.data(), ph.p_filesz);
    std::memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
    k.image_end = std::max(k.image_end, ph.p_paddr + ph.p_memsz);
    if (eh.e_entry >= ph.p_paddr && eh.e_entry - ph.p_paddr < ph.p_memsz) entry_in_segment = true;
    ++loads;
  }
  if (loads == 0) throw fail("no loadable segments");
  if (!entry_in_segment)
    throw fail("entry point " + Hex(eh.e_entry) + " is not in a loaded segment");
  return k;
}

}  // namespace strato::vmm
