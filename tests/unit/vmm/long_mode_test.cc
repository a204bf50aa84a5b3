#include "vmm/boot/long_mode.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "vmm/layout.h"

using namespace strato::vmm;

TEST_CASE("GDT entries encode as the kernel's GDT_ENTRY macro does") {
  CHECK(GdtEntry(0xa09b, 0, 0xfffff) == 0x00af9b000000ffffull);
  CHECK(GdtEntry(0xc093, 0, 0xfffff) == 0x00cf93000000ffffull);
  CHECK(GdtEntry(0x808b, 0, 0xfffff) == 0x008f8b000000ffffull);
  kvm_segment cs = SegmentFromGdtEntry(0x00af9b000000ffffull, kBootCodeSelector);
  CHECK(cs.l == 1);
  CHECK(cs.db == 0);
  CHECK(cs.type == 0xb);
  CHECK(cs.limit == 0xffffffffu);
  CHECK(cs.present == 1);
  CHECK(cs.selector == 0x08);
}

TEST_CASE("boot page tables identity-map 0-4 GiB with 2 MiB pages") {
  GuestMemory memory(4 << 20);
  WriteLongModeBootTables(memory);
  uint64_t e;
  memory.Read(layout::kPml4Start, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&e), 8));
  CHECK(e == (layout::kPdptStart | 3));
  memory.Read(layout::kPdptStart + 3 * 8, std::span<uint8_t>(reinterpret_cast<uint8_t*>(&e), 8));
  CHECK(e == ((layout::kPdStart + 3 * 0x1000) | 3));
  // The last 2 MiB page (holding the LAPIC) maps 0xffe00000.
  memory.Read(layout::kPdStart + 3 * 0x1000 + 511 * 8,
              std::span<uint8_t>(reinterpret_cast<uint8_t*>(&e), 8));
  CHECK(e == (0xffe00000ull | 0x83));
  kvm_sregs sregs{};
  ApplyLongModeSregs(sregs);
  CHECK(sregs.cr3 == layout::kPml4Start);
  CHECK((sregs.efer & (kEferLongModeEnable | kEferLongModeActive)) == 0x500);
  kvm_regs regs = LongModeRegs(0x1000000, layout::kZeroPageStart);
  CHECK(regs.rip == 0x1000000);
  CHECK(regs.rsi == 0x7000);
  CHECK(regs.rsp == 0x8ff0);
  CHECK(regs.rflags == 2);
}
