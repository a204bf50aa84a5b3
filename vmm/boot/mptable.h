#pragma once
// The Intel MultiProcessor Specification 1.4 table the guest kernel reads to find its CPUs and
// the IOAPIC: floating pointer "_MP_" + configuration table "PCMP" with one processor entry per
// vCPU, one ISA bus, one IOAPIC and an interrupt-source entry for every IOAPIC pin (Linux wires
// only pins that have one), plus LINT0 = ExtINT and LINT1 = NMI.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strato::vmm {

// MP spec 1.4, chapter 4: entry types and fixed values.
inline constexpr uint8_t kMpEntryProcessor = 0;
inline constexpr uint8_t kMpEntryBus = 1;
inline constexpr uint8_t kMpEntryIoapic = 2;
inline constexpr uint8_t kMpEntryIoInterrupt = 3;
inline constexpr uint8_t kMpEntryLocalInterrupt = 4;
inline constexpr size_t kMpFloatingPointerSize = 16;
inline constexpr size_t kMpConfigHeaderSize = 44;
inline constexpr size_t kMpProcessorEntrySize = 20;
inline constexpr size_t kMpOtherEntrySize = 8;

// The IOAPIC's MP id: after the LAPIC ids 0..cpus-1.
uint8_t MpIoapicId(uint32_t cpus);

// Builds the table as it is placed at `table_address` (the floating pointer first, the
// configuration table right after it). Throws strato::Error if `cpus` is 0 or the table would
// not fit in layout::kMpTableMaxSize.
std::vector<uint8_t> BuildMpTable(uint32_t cpus, uint64_t table_address);

}  // namespace strato::vmm
