#pragma once
// The guest-physical memory map of every strato VM. All guest addresses the VMM uses live here,
// so that the boot code, the devices and the tests agree and overlaps are checked in one place
// (tests/unit/vmm/layout_test.cc). docs/vmm.md draws the same map.
//
//   0x0000_0000  real-mode IVT + BIOS data area (left zero)
//   0x0000_0500  boot GDT (4 entries: null, code64, data, tss)
//   0x0000_0520  boot IDT (empty: the kernel installs its own before enabling interrupts)
//   0x0000_7000  zero page (struct boot_params, Linux 64-bit boot protocol)
//   0x0000_8ff0  initial stack pointer (grows down, below the page tables)
//   0x0000_9000  PML4, 0xa000 PDPT, 0xb000..0xefff four PDs: identity map of 0..4 GiB, 2 MiB pages
//   0x0002_0000  kernel command line (up to 16 KiB, the guest kernel's COMMAND_LINE_SIZE)
//   0x0009_fc00  MP floating pointer + MP configuration table (top 1 KiB of base memory, "EBDA")
//   0x000a_0000  legacy VGA/BIOS hole (reserved in e820)
//   0x0010_0000  high memory: kernel (ELF p_paddr or bzImage at 1 MiB), then free RAM
//   ...          initrd: page-aligned, as high as possible below min(RAM end, 0xd000_0000)
//   0xd000_0000  device MMIO window (virtio-mmio slots, 4 KiB each) up to the IOAPIC
//   0xfec0_0000  IOAPIC (in-kernel, or a userspace one with a split irqchip)
//   0xfee0_0000  local APIC (in-kernel)
//   0xfffb_c000  KVM identity-map page (Intel VMX real-mode emulation), then 3 pages KVM TSS
//   0x1_0000_0000 RAM above the MMIO gap, if the guest has more than 0xd000_0000 bytes

#include <cstdint>

namespace strato::vmm::layout {

inline constexpr uint64_t kPageSize = 0x1000;

// Boot structures in base memory.
inline constexpr uint64_t kBootGdtStart = 0x500;
inline constexpr uint64_t kBootIdtStart = 0x520;
inline constexpr uint64_t kZeroPageStart = 0x7000;
inline constexpr uint64_t kBootStackPointer = 0x8ff0;
inline constexpr uint64_t kPml4Start = 0x9000;
inline constexpr uint64_t kPdptStart = 0xa000;
inline constexpr uint64_t kPdStart = 0xb000;
inline constexpr uint64_t kIdentityMappedGiB = 4;  // one PD page per GiB: 0xb000..0xefff
inline constexpr uint64_t kPageTablesEnd = kPdStart + kIdentityMappedGiB * kPageSize;
inline constexpr uint64_t kCmdlineStart = 0x20000;
// The guest kernel is built with COMMAND_LINE_SIZE 16384 (packaging/kernel); a stock kernel
// truncates at 2048. The size includes the terminating NUL.
inline constexpr uint64_t kCmdlineMaxSize = 16384;
// MP table: the kernel scans the last KiB of base memory (EBDA) for "_MP_".
inline constexpr uint64_t kMpTableStart = 0x9fc00;
inline constexpr uint64_t kMpTableMaxSize = 0x400;
inline constexpr uint64_t kBaseMemoryEnd = 0x9fc00;  // first e820 RAM range: [0, here)
inline constexpr uint64_t kLegacyHoleEnd = 0x100000;
inline constexpr uint64_t kHighMemoryStart = 0x100000;  // 1 MiB

// Devices and interrupt controllers (the "MMIO gap" below 4 GiB; RAM never lives here).
inline constexpr uint64_t kMmioGapStart = 0xd0000000;
inline constexpr uint64_t kDeviceMmioStart = kMmioGapStart;  // virtio-mmio slots start here
inline constexpr uint64_t kDeviceMmioSlotSize = 0x1000;
inline constexpr uint64_t kIoapicStart = 0xfec00000;
inline constexpr uint64_t kIoapicSize = 0x1000;
inline constexpr uint64_t kDeviceMmioEnd = kIoapicStart;
inline constexpr uint64_t kLapicStart = 0xfee00000;
inline constexpr uint64_t kKvmIdentityMapStart = 0xfffbc000;
inline constexpr uint64_t kKvmTssStart = 0xfffbd000;  // KVM_SET_TSS_ADDR needs 3 pages
inline constexpr uint64_t kMmioGapEnd = 0x100000000;  // RAM resumes at 4 GiB

// Legacy I/O ports.
inline constexpr uint16_t kPortPost = 0x80;  // POST diagnostic port
inline constexpr uint16_t kPortI8042Data = 0x60;
inline constexpr uint16_t kPortI8042Command = 0x64;
inline constexpr uint16_t kPortCmosIndex = 0x70;  // 0x70 index, 0x71 data
inline constexpr uint16_t kPortCom1 = 0x3f8;      // 8 registers
// The test-status port: a guest write of 0 means "test passed", anything else "test failed
// <value>". Same address as QEMU's isa-debug-exit so one test-guest ELF runs on both.
inline constexpr uint16_t kPortTestStatus = 0xf4;

// IOAPIC pins (GSIs) of the in-kernel irqchip (KVM_IOAPIC_NUM_PINS).
inline constexpr uint32_t kIoapicPins = 24;
inline constexpr uint32_t kGsiCom1 = 4;
// Pins free for devices (virtio-mmio) with the in-kernel irqchip (0-4 are PIT, keyboard, cascade,
// COM2, COM1 in the ISA numbering).
inline constexpr uint32_t kFirstDeviceGsi = 5;
inline constexpr uint32_t kLastDeviceGsi = 23;

inline constexpr uint32_t kMaxVcpus = 32;  // what fits in the 1 KiB MP table (see mptable.cc)

}  // namespace strato::vmm::layout
