#include "vmm/bus/io_bus.h"

#include <catch2/catch.hpp>
#include <vector>

#include "common/error.h"

using namespace strato::vmm;

namespace {
struct Recorder : BusDevice {
  std::vector<std::pair<uint64_t, uint64_t>> writes;  // offset, value
  void Read(uint64_t offset, std::span<uint8_t> data) override {
    SetAccessValue(data, 0x1100 + offset);
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    writes.emplace_back(offset, AccessValue(data));
  }
};
}  // namespace

TEST_CASE("IoBus dispatches by range with the offset inside it") {
  IoBus bus("test");
  auto a = std::make_shared<Recorder>();
  bus.Register(0x3f8, 8, a, "uart");
  uint8_t two[2];
  CHECK(bus.Read(0x3fa, two));
  CHECK(two[0] == 0x02);
  CHECK(two[1] == 0x11);
  const uint8_t value[4] = {0x78, 0x56, 0x34, 0x12};
  CHECK(bus.Write(0x3fc, std::span<const uint8_t>(value, 4)));
  REQUIRE(a->writes.size() == 1);
  CHECK(a->writes[0] == std::make_pair(uint64_t{4}, uint64_t{0x12345678}));
}

TEST_CASE("IoBus: unclaimed reads are all ones, accesses crossing a range end are unclaimed") {
  IoBus bus("test");
  bus.Register(0x60, 5, std::make_shared<Recorder>(), "i8042");
  uint8_t four[4] = {0, 0, 0, 0};
  CHECK_FALSE(bus.Read(0x70, four));
  CHECK(four[0] == 0xff);
  CHECK(four[3] == 0xff);
  CHECK_FALSE(bus.Read(0x63, four));  // 0x63..0x66 runs past 0x64
  CHECK_FALSE(bus.Write(0x5f, std::span<const uint8_t>(four, 1)));
  CHECK(bus.unclaimed_accesses() == 3);
}

TEST_CASE("IoBus refuses overlapping, empty and wrapping ranges") {
  IoBus bus("port I/O");
  bus.Register(0x60, 5, std::make_shared<Recorder>(), "i8042");
  CHECK_THROWS_WITH(bus.Register(0x64, 2, std::make_shared<Recorder>(), "x"),
                    "port I/O bus: x [0x64, +0x2) overlaps i8042");
  CHECK_THROWS_WITH(bus.Register(0x5f, 2, std::make_shared<Recorder>(), "y"),
                    "port I/O bus: y [0x5f, +0x2) overlaps i8042");
  CHECK_THROWS_WITH(bus.Register(0x10, 0, std::make_shared<Recorder>(), "z"),
                    Catch::Contains("empty or wrapping"));
  CHECK_THROWS_WITH(bus.Register(~0ull - 1, 4, std::make_shared<Recorder>(), "w"),
                    Catch::Contains("empty or wrapping"));
  bus.Register(0x65, 1, std::make_shared<Recorder>(), "adjacent");  // touching is fine
}
