#include "vmm/boot/long_mode.h"

#include <array>

#include "vmm/layout.h"

namespace strato::vmm {

namespace {
// Descriptor flags/access words (the kernel's GDT_ENTRY notation: G, D/B, L, AVL in the top
// nibble, then P, DPL, S, type).
constexpr uint16_t kCode64Flags = 0xa09b;  // G, L, present, code execute/read accessed
constexpr uint16_t kDataFlags = 0xc093;    // G, D/B, present, data read/write accessed
constexpr uint16_t kTssFlags = 0x808b;     // G, present, 64-bit busy TSS
constexpr uint32_t kFlatLimit = 0xfffff;   // 4 GiB with G=1
constexpr uint64_t kPagePresent = 1ull << 0;
constexpr uint64_t kPageWritable = 1ull << 1;
constexpr uint64_t kPageHuge = 1ull << 7;  // PS in a PD entry: a 2 MiB page
constexpr uint64_t kEntriesPerTable = 512;
constexpr uint64_t kTwoMiB = 2ull << 20;
}  // namespace

uint64_t GdtEntry(uint16_t flags, uint32_t base, uint32_t limit) {
  return ((uint64_t{base} & 0xff000000u) << (56 - 24)) | ((uint64_t{flags} & 0x0000f0ffu) << 40) |
         ((uint64_t{limit} & 0x000f0000u) << (48 - 16)) | ((uint64_t{base} & 0x00ffffffu) << 16) |
         (uint64_t{limit} & 0x0000ffffu);
}

kvm_segment SegmentFromGdtEntry(uint64_t entry, uint16_t selector) {
  kvm_segment s{};
  s.base = ((entry >> 16) & 0xffffff) | (((entry >> 56) & 0xff) << 24);
  uint32_t limit = static_cast<uint32_t>((entry & 0xffff) | (((entry >> 48) & 0xf) << 16));
  s.g = (entry >> 55) & 1;
  s.limit = s.g ? (limit << 12) | 0xfff : limit;
  s.selector = selector;
  s.type = (entry >> 40) & 0xf;
  s.present = (entry >> 47) & 1;
  s.dpl = (entry >> 45) & 3;
  s.db = (entry >> 54) & 1;
  s.s = (entry >> 44) & 1;
  s.l = (entry >> 53) & 1;
  s.avl = (entry >> 52) & 1;
  s.unusable = s.present ? 0 : 1;
  return s;
}

namespace {
std::array<uint64_t, 4> BootGdt() {
  return {0, GdtEntry(kCode64Flags, 0, kFlatLimit), GdtEntry(kDataFlags, 0, kFlatLimit),
          GdtEntry(kTssFlags, 0, kFlatLimit)};
}
}  // namespace

void WriteLongModeBootTables(const GuestMemory& memory) {
  memory.WriteObject(layout::kBootGdtStart, BootGdt());
  memory.WriteObject(layout::kBootIdtStart, uint64_t{0});
  memory.WriteObject(layout::kPml4Start, layout::kPdptStart | kPagePresent | kPageWritable);
  for (uint64_t gib = 0; gib < layout::kIdentityMappedGiB; ++gib) {
    uint64_t pd = layout::kPdStart + gib * layout::kPageSize;
    memory.WriteObject(layout::kPdptStart + gib * 8, pd | kPagePresent | kPageWritable);
    std::array<uint64_t, kEntriesPerTable> entries;
    for (uint64_t i = 0; i < kEntriesPerTable; ++i) {
      entries[i] =
          ((gib * kEntriesPerTable + i) * kTwoMiB) | kPagePresent | kPageWritable | kPageHuge;
    }
    memory.WriteObject(pd, entries);
  }
}

void ApplyLongModeSregs(kvm_sregs& sregs) {
  auto gdt = BootGdt();
  sregs.gdt.base = layout::kBootGdtStart;
  sregs.gdt.limit = sizeof(gdt) - 1;
  sregs.idt.base = layout::kBootIdtStart;
  sregs.idt.limit = sizeof(uint64_t) - 1;
  sregs.cs = SegmentFromGdtEntry(gdt[1], kBootCodeSelector);
  kvm_segment data = SegmentFromGdtEntry(gdt[2], kBootDataSelector);
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  sregs.tr = SegmentFromGdtEntry(gdt[3], kBootTssSelector);
  sregs.cr0 = kCr0ProtectionEnable | kCr0ExtensionType | kCr0Paging;
  sregs.cr3 = layout::kPml4Start;
  sregs.cr4 = kCr4Pae;
  sregs.efer = kEferLongModeEnable | kEferLongModeActive;
}

kvm_regs LongModeRegs(uint64_t entry, uint64_t zero_page) {
  kvm_regs regs{};
  regs.rflags = kRflagsReserved1;
  regs.rip = entry;
  regs.rsp = regs.rbp = layout::kBootStackPointer;
  regs.rsi = zero_page;
  return regs;
}

}  // namespace strato::vmm
