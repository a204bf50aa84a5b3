#include "vmm/boot/elf_loader.h"

#include <elf.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "common/error.h"

using namespace strato::vmm;

namespace {

constexpr uint64_t kMiB = 1ull << 20;
const uint8_t kPayload[] = {0x90, 0x90, 0xf4, 0xeb};  // nop nop hlt jmp

// A minimal ET_EXEC x86-64 image: one PT_LOAD of `payload` at `paddr` with `bss` extra bytes,
// optionally a PT_NOTE with the Xen PVH entry note.
struct ElfBuilder {
  uint64_t paddr = 2 * kMiB;
  uint64_t entry = 2 * kMiB;
  std::vector<uint8_t> payload = std::vector<uint8_t>(std::begin(kPayload), std::end(kPayload));
  uint64_t bss = 16;
  bool pvh_note = false;
  uint32_t pvh_entry = 0x200010;

  std::vector<uint8_t> Build() const {
    std::vector<uint8_t> note;
    if (pvh_note) {
      Elf64_Nhdr n{4, 4, 18};
      note.resize(sizeof n + 8);
      std::memcpy(note.data(), &n, sizeof n);
      std::memcpy(note.data() + sizeof n, "Xen", 4);
      std::memcpy(note.data() + sizeof n + 4, &pvh_entry, 4);
    }
    uint16_t phnum = pvh_note ? 2 : 1;
    size_t data_off = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    std::vector<uint8_t> out(data_off + payload.size() + note.size());
    Elf64_Ehdr eh{};
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_X86_64;
    eh.e_version = EV_CURRENT;
    eh.e_entry = entry;
    eh.e_phoff = sizeof(Elf64_Ehdr);
    eh.e_ehsize = sizeof(Elf64_Ehdr);
    eh.e_phentsize = sizeof(Elf64_Phdr);
    eh.e_phnum = phnum;
    std::memcpy(out.data(), &eh, sizeof eh);
    Elf64_Phdr load{};
    load.p_type = PT_LOAD;
    load.p_offset = data_off;
    load.p_paddr = load.p_vaddr = paddr;
    load.p_filesz = payload.size();
    load.p_memsz = payload.size() + bss;
    std::memcpy(out.data() + eh.e_phoff, &load, sizeof load);
    std::memcpy(out.data() + data_off, payload.data(), payload.size());
    if (pvh_note) {
      Elf64_Phdr ph{};
      ph.p_type = PT_NOTE;
      ph.p_offset = data_off + payload.size();
      ph.p_filesz = note.size();
      std::memcpy(out.data() + eh.e_phoff + sizeof(Elf64_Phdr), &ph, sizeof ph);
      std::memcpy(out.data() + ph.p_offset, note.data(), note.size());
    }
    return out;
  }
};

template <typename T>
void Patch(std::vector<uint8_t>& image, size_t offset, T value) {
  std::memcpy(image.data() + offset, &value, sizeof value);
}

std::string LoadError(const std::vector<uint8_t>& image, const GuestMemory& memory) {
  try {
    LoadElf(image, memory, "k.elf");
  } catch (const strato::Error& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST_CASE("LoadElf copies segments to their physical address and zeroes the bss") {
  GuestMemory memory(16 * kMiB);
  memory.Write(2 * kMiB + 4, std::vector<uint8_t>(16, 0xaa));  // stale bytes in the bss range
  ElfBuilder b;
  LoadedKernel k = LoadElf(b.Build(), memory, "k.elf");
  CHECK(k.entry == 2 * kMiB);
  CHECK(k.image_end == 2 * kMiB + 4 + 16);
  CHECK_FALSE(k.pvh_entry.has_value());
  std::vector<uint8_t> got(20);
  memory.Read(2 * kMiB, got);
  std::vector<uint8_t> want = {0x90, 0x90, 0xf4, 0xeb};
  want.resize(20, 0);
  CHECK(got == want);
}

TEST_CASE("LoadElf finds the Xen PVH entry note") {
  GuestMemory memory(16 * kMiB);
  ElfBuilder b;
  b.pvh_note = true;
  LoadedKernel k = LoadElf(b.Build(), memory, "k.elf");
  REQUIRE(k.pvh_entry.has_value());
  CHECK(*k.pvh_entry == 0x200010u);
}

TEST_CASE("LoadElf rejects truncated and garbage images with clear errors") {
  GuestMemory memory(16 * kMiB);
  auto good = ElfBuilder{}.Build();
  CHECK(LoadError(std::vector<uint8_t>(good.begin(), good.begin() + 20), memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: file is shorter than an ELF header");
  CHECK(LoadError(std::vector<uint8_t>(good.begin(), good.begin() + sizeof(Elf64_Ehdr) + 10),
                  memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: program header table is outside the file "
        "(truncated?)");
  CHECK(LoadError(std::vector<uint8_t>(good.begin(), good.end() - 2), memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: segment 0 data is outside the file (truncated?)");
  auto bad = good;
  bad[EI_CLASS] = ELFCLASS32;
  CHECK(LoadError(bad, memory) == "k.elf: not a loadable x86-64 ELF kernel: not a 64-bit ELF");
  bad = good;
  Patch<uint16_t>(bad, offsetof(Elf64_Ehdr, e_machine), EM_AARCH64);
  CHECK(LoadError(bad, memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: machine 183 is not x86-64");
  bad = good;
  Patch<uint16_t>(bad, offsetof(Elf64_Ehdr, e_type), ET_DYN);
  CHECK(LoadError(bad, memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: not an executable (ET_EXEC) image");
  bad = good;
  Patch<uint16_t>(bad, offsetof(Elf64_Ehdr, e_phnum), 0xffff);
  CHECK(LoadError(bad, memory) == "k.elf: not a loadable x86-64 ELF kernel: 65535 program headers");
  bad = good;
  Patch<uint64_t>(bad, offsetof(Elf64_Ehdr, e_phoff), ~0ull - 8);
  CHECK(LoadError(bad, memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: program header table is outside the file "
        "(truncated?)");
  bad = good;
  Patch<uint64_t>(bad, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_offset), ~0ull);
  CHECK(LoadError(bad, memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: segment 0 data is outside the file (truncated?)");
}

TEST_CASE("LoadElf refuses segments outside RAM, below 1 MiB, or an entry outside them") {
  GuestMemory memory(16 * kMiB);
  ElfBuilder low;
  low.paddr = low.entry = 0x7000;
  CHECK(LoadError(low.Build(), memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: segment 0 loads at 0x7000, below 1 MiB where the "
        "boot structures live");
  ElfBuilder high;
  high.paddr = high.entry = 16 * kMiB - 2;
  CHECK(LoadError(high.Build(), memory) ==
        "k.elf: segment 0 [0xfffffe, +0x14) does not fit in guest RAM (16 MiB): give the VM more "
        "memory");
  ElfBuilder wrap;
  wrap.paddr = ~0ull - 3;
  CHECK(LoadError(wrap.Build(), memory).find("does not fit in guest RAM") != std::string::npos);
  ElfBuilder entry;
  entry.entry = 0x500000;
  CHECK(LoadError(entry.Build(), memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: entry point 0x500000 is not in a loaded segment");
  auto image = ElfBuilder{}.Build();
  Patch<uint64_t>(image, sizeof(Elf64_Ehdr) + offsetof(Elf64_Phdr, p_memsz),
                  1);  // filesz 4 > memsz 1
  CHECK(LoadError(image, memory) ==
        "k.elf: not a loadable x86-64 ELF kernel: segment 0 has filesz > memsz");
}

TEST_CASE("LooksLikeElf checks only the magic") {
  CHECK(LooksLikeElf(std::vector<uint8_t>{0x7f, 'E', 'L', 'F', 0}));
  CHECK_FALSE(LooksLikeElf(std::vector<uint8_t>{0x7f, 'E', 'L'}));
  CHECK_FALSE(LooksLikeElf(std::vector<uint8_t>{'M', 'Z', 0, 0}));
}
