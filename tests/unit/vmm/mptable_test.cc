#include "vmm/boot/mptable.h"

#include <catch2/catch.hpp>
#include <cstring>

#include "common/error.h"
#include "vmm/layout.h"

using namespace strato::vmm;

namespace {
uint8_t Sum(const uint8_t* p, size_t n) {
  uint8_t s = 0;
  for (size_t i = 0; i < n; ++i) s = static_cast<uint8_t>(s + p[i]);
  return s;
}
template <typename T>
T At(const std::vector<uint8_t>& t, size_t off) {
  T v;
  std::memcpy(&v, t.data() + off, sizeof v);
  return v;
}
}  // namespace

TEST_CASE("MP table for 2 vCPUs: pointer, header, checksums and every entry") {
  auto t = BuildMpTable(2, layout::kMpTableStart);
  const size_t header = kMpFloatingPointerSize;
  REQUIRE(t.size() == 16 + 44 + 2 * 20 + 8 + 8 + 24 * 8 + 2 * 8);
  // Floating pointer.
  CHECK(std::memcmp(t.data(), "_MP_", 4) == 0);
  CHECK(At<uint32_t>(t, 4) == layout::kMpTableStart + 16);
  CHECK(t[8] == 1);
  CHECK(t[9] == 4);
  CHECK(Sum(t.data(), 16) == 0);
  // Configuration table header.
  CHECK(std::memcmp(t.data() + header, "PCMP", 4) == 0);
  CHECK(At<uint16_t>(t, header + 4) == t.size() - header);
  CHECK(Sum(t.data() + header, t.size() - header) == 0);
  CHECK(At<uint16_t>(t, header + 34) == 2 + 1 + 1 + 24 + 2);
  CHECK(At<uint32_t>(t, header + 36) == layout::kLapicStart);
  // Processors: LAPIC ids 0 and 1, enabled, the first is the bootstrap processor.
  size_t e = header + kMpConfigHeaderSize;
  CHECK(t[e] == kMpEntryProcessor);
  CHECK(t[e + 1] == 0);
  CHECK(t[e + 3] == 0x3);
  CHECK(t[e + 20] == kMpEntryProcessor);
  CHECK(t[e + 21] == 1);
  CHECK(t[e + 23] == 0x1);
  e += 40;
  CHECK(t[e] == kMpEntryBus);
  CHECK(std::memcmp(t.data() + e + 2, "ISA   ", 6) == 0);
  e += 8;
  CHECK(t[e] == kMpEntryIoapic);
  CHECK(t[e + 1] == MpIoapicId(2));
  CHECK(t[e + 3] == 1);
  CHECK(At<uint32_t>(t, e + 4) == layout::kIoapicStart);
  e += 8;
  for (uint8_t pin = 0; pin < 24; ++pin, e += 8) {
    INFO("pin " << int(pin));
    CHECK(t[e] == kMpEntryIoInterrupt);
    CHECK(t[e + 5] == pin);            // source bus IRQ
    CHECK(t[e + 6] == MpIoapicId(2));  // destination IOAPIC
    CHECK(t[e + 7] == pin);            // destination pin
  }
  CHECK(t[e] == kMpEntryLocalInterrupt);
  CHECK(t[e + 1] == 3);  // ExtINT on LINT0
  CHECK(t[e + 7] == 0);
  CHECK(t[e + 8] == kMpEntryLocalInterrupt);
  CHECK(t[e + 9] == 1);  // NMI on LINT1
  CHECK(t[e + 15] == 1);
}

TEST_CASE("MP table fits its 1 KiB for the maximum vCPU count and refuses more") {
  auto t = BuildMpTable(layout::kMaxVcpus, layout::kMpTableStart);
  CHECK(t.size() <= layout::kMpTableMaxSize);
  CHECK(Sum(t.data() + 16, t.size() - 16) == 0);
  CHECK_THROWS_WITH(BuildMpTable(0, layout::kMpTableStart), "MP table: 0 vCPUs (1..32 supported)");
  CHECK_THROWS_WITH(BuildMpTable(layout::kMaxVcpus + 1, layout::kMpTableStart),
                    "MP table: 33 vCPUs (1..32 supported)");
}
