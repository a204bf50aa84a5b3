// The memory map in vmm/layout.h: boot structures must not overlap each other, must sit in base
// memory below the MP table, and the device window must sit inside the MMIO gap.

#include "vmm/layout.h"

#include <asm/bootparam.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace strato::vmm::layout;

namespace {
struct Area {
  std::string name;
  uint64_t start, end;
};
}  // namespace

TEST_CASE("boot structures in base memory do not overlap") {
  std::vector<Area> areas = {
      {"GDT", kBootGdtStart, kBootGdtStart + 4 * 8},
      {"IDT", kBootIdtStart, kBootIdtStart + 8},
      {"zero page", kZeroPageStart, kZeroPageStart + sizeof(boot_params)},
      {"stack", kBootStackPointer - 0x800, kBootStackPointer},
      {"page tables", kPml4Start, kPageTablesEnd},
      {"command line", kCmdlineStart, kCmdlineStart + kCmdlineMaxSize},
      {"MP table", kMpTableStart, kMpTableStart + kMpTableMaxSize},
  };
  for (size_t i = 0; i < areas.size(); ++i) {
    INFO(areas[i].name);
    CHECK(areas[i].start < areas[i].end);
    CHECK(areas[i].end <= kLegacyHoleEnd);
    if (areas[i].name != "MP table") CHECK(areas[i].end <= kMpTableStart);
    for (size_t j = i + 1; j < areas.size(); ++j) {
      INFO("vs " << areas[j].name);
      CHECK((areas[i].end <= areas[j].start || areas[j].end <= areas[i].start));
    }
  }
  CHECK(sizeof(boot_params) == kPageSize);
  CHECK(kPageTablesEnd == kPdStart + 4 * kPageSize);
  CHECK(kMpTableStart + kMpTableMaxSize == 0xa0000);
}

TEST_CASE("the MMIO gap holds the device window, IOAPIC, LAPIC and KVM's pages in order") {
  CHECK(kHighMemoryStart == kLegacyHoleEnd);
  CHECK(kMmioGapStart <= kDeviceMmioStart);
  CHECK(kDeviceMmioStart < kDeviceMmioEnd);
  CHECK(kDeviceMmioEnd <= kIoapicStart);
  CHECK(kIoapicStart + kIoapicSize <= kLapicStart);
  CHECK(kLapicStart + kPageSize <= kKvmIdentityMapStart);
  CHECK(kKvmIdentityMapStart + kPageSize <= kKvmTssStart);
  CHECK(kKvmTssStart + 3 * kPageSize <= kMmioGapEnd);
  CHECK(kMmioGapEnd == 1ull << 32);
  CHECK((kDeviceMmioEnd - kDeviceMmioStart) % kDeviceMmioSlotSize == 0);
  CHECK(kIdentityMappedGiB * (1ull << 30) == kMmioGapEnd);  // the boot map covers the APICs
  CHECK(kFirstDeviceGsi > kGsiCom1);
  CHECK(kLastDeviceGsi < kIoapicPins);
}
