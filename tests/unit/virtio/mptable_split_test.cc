#include <catch2/catch.hpp>
#include <cstring>

#include "common/error.h"
#include "vmm/boot/mptable.h"
#include "vmm/layout.h"

using namespace strato::vmm;

TEST_CASE("MP table for a 205-pin userspace IOAPIC: every pin listed, placed in the BIOS area") {
  const uint32_t pins = 205;
  CHECK_THROWS_AS(BuildMpTable(1, layout::kMpTableStart, pins), strato::Error);  // 1 KiB is short
  auto t = BuildMpTable(1, layout::kMpTableBiosAreaStart, pins, layout::kMpTableBiosAreaMaxSize);
  REQUIRE(t.size() == 16 + 44 + 20 + 8 + 8 + pins * 8 + 2 * 8);
  uint16_t entries;
  std::memcpy(&entries, t.data() + 16 + 34, 2);
  CHECK(entries == 1 + 1 + 1 + pins + 2);
  uint32_t config_address;
  std::memcpy(&config_address, t.data() + 4, 4);
  CHECK(config_address == layout::kMpTableBiosAreaStart + 16);
  // The last interrupt-source entry is pin 204.
  const size_t last_io = 16 + 44 + 20 + 8 + 8 + (pins - 1) * 8;
  CHECK(t[last_io] == kMpEntryIoInterrupt);
  CHECK(t[last_io + 7] == 204);
  CHECK_THROWS_AS(BuildMpTable(1, layout::kMpTableBiosAreaStart, 257, 0x10000), strato::Error);
}
