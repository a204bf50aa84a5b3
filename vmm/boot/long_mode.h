#pragma once
// The CPU state the Linux 64-bit boot protocol expects at the kernel's entry: long mode, paging
// with an identity map, a flat 64-bit GDT, interrupts off, RSI = zero page. The test guest is
// entered the same way.

#include <linux/kvm.h>

#include <cstdint>

#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

// x86 control-register and EFER bits (Intel SDM vol. 3, 2.5 and 2.2.1).
inline constexpr uint64_t kCr0ProtectionEnable = 1ull << 0;
inline constexpr uint64_t kCr0ExtensionType = 1ull << 4;
inline constexpr uint64_t kCr0Paging = 1ull << 31;
inline constexpr uint64_t kCr4Pae = 1ull << 5;
inline constexpr uint64_t kEferLongModeEnable = 1ull << 8;
inline constexpr uint64_t kEferLongModeActive = 1ull << 10;
inline constexpr uint64_t kRflagsReserved1 = 1ull << 1;  // bit 1 always reads 1

// Segment selectors of the boot GDT (layout::kBootGdtStart).
inline constexpr uint16_t kBootCodeSelector = 0x08;
inline constexpr uint16_t kBootDataSelector = 0x10;
inline constexpr uint16_t kBootTssSelector = 0x18;

// One GDT descriptor from its flags/access word (as written in the kernel's GDT_ENTRY macro:
// 0xa09b = 64-bit code), base and 20-bit limit.
uint64_t GdtEntry(uint16_t flags, uint32_t base, uint32_t limit);
// The KVM view of the segment the descriptor describes.
kvm_segment SegmentFromGdtEntry(uint64_t entry, uint16_t selector);

// Writes the boot GDT, an empty IDT and the identity-mapping page tables into guest memory.
void WriteLongModeBootTables(const GuestMemory& memory);

// Special registers for 64-bit entry: segments from the boot GDT, CR0/CR3/CR4/EFER.
void ApplyLongModeSregs(kvm_sregs& sregs);
// General registers: RIP = entry, RSP = RBP = boot stack, RSI = zero page, RFLAGS = 2.
kvm_regs LongModeRegs(uint64_t entry, uint64_t zero_page);

}  // namespace strato::vmm
