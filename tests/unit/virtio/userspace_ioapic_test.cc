#include "vmm/irq/userspace_ioapic.h"

#include <catch2/catch.hpp>

#include "common/error.h"

using namespace strato::vmm;
using namespace strato::vmm::ioapic;

namespace {

struct Harness {
  std::vector<IoapicMsiRoute> routes;
  int route_updates = 0;
  std::vector<IoapicMsiRoute> delivered;
  UserspaceIoapic ioapic{256, 2,
                         [this](const std::vector<IoapicMsiRoute>& r) {
                           routes = r;
                           ++route_updates;
                         },
                         [this](const IoapicMsiRoute& r) { delivered.push_back(r); }};

  void Write32(uint64_t offset, uint32_t v) {
    uint8_t b[4];
    SetAccessValue(b, v);
    ioapic.Write(offset, b);
  }
  uint32_t Read32(uint64_t offset) {
    uint8_t b[4];
    ioapic.Read(offset, b);
    return static_cast<uint32_t>(AccessValue(b));
  }
  uint32_t ReadIndirect(uint32_t index) {
    Write32(kRegSelect, index);
    return Read32(kRegWindow);
  }
  void WriteIndirect(uint32_t index, uint32_t v) {
    Write32(kRegSelect, index);
    Write32(kRegWindow, v);
  }
  void Program(uint32_t pin, uint32_t low, uint32_t high) {
    WriteIndirect(kIndexRedirectionTable + 2 * pin + 1, high);
    WriteIndirect(kIndexRedirectionTable + 2 * pin, low);
  }
};

}  // namespace

TEST_CASE("userspace IOAPIC: version register announces version 0x20 and 256 pins") {
  Harness h;
  CHECK(h.ReadIndirect(kIndexVersion) == 0x00ff0020u);
  CHECK(h.ReadIndirect(kIndexId) == 2u << 24);
  h.WriteIndirect(kIndexId, 0x05000000);
  CHECK(h.ReadIndirect(kIndexId) == 0x05000000u);
  h.WriteIndirect(kIndexVersion, 0);  // read-only
  CHECK(h.ReadIndirect(kIndexVersion) == 0x00ff0020u);
  CHECK_THROWS_AS(UserspaceIoapic(257, 0, nullptr, nullptr), strato::Error);
}

TEST_CASE("userspace IOAPIC: entries reset masked, no route is installed before programming") {
  Harness h;
  for (uint32_t pin : {0u, 5u, 255u}) {
    CHECK(h.ReadIndirect(kIndexRedirectionTable + 2 * pin) == kRteMasked);
    CHECK(h.ReadIndirect(kIndexRedirectionTable + 2 * pin + 1) == 0u);
  }
  CHECK(h.ioapic.Routes().empty());
  // Unmasked but vector 0 (not programmed): still no route.
  h.Program(7, 0, 0);
  CHECK(h.routes.empty());
}

TEST_CASE("userspace IOAPIC: RTE read/write keeps delivery status and remote IRR read-only") {
  Harness h;
  h.Program(9, 0x31 | kRteLevelTriggered | kRteRemoteIrr | kRteDeliveryStatus, 0x01000000);
  CHECK(h.ReadIndirect(kIndexRedirectionTable + 18) == (0x31u | kRteLevelTriggered));
  CHECK(h.ReadIndirect(kIndexRedirectionTable + 19) == 0x01000000u);
  // The IOAPIC sets remote IRR itself when it delivers a level interrupt; the guest cannot clear
  // it.
  h.ioapic.SetLevel(9, true);
  CHECK((h.ioapic.redirection_entry(9) & kRteRemoteIrr) != 0);
  h.WriteIndirect(kIndexRedirectionTable + 18, 0x31 | kRteLevelTriggered);
  CHECK((h.ReadIndirect(kIndexRedirectionTable + 18) & kRteRemoteIrr) != 0);
}

TEST_CASE("userspace IOAPIC: pin 200 is reachable through the 32-bit IOREGSEL") {
  Harness h;
  const uint32_t index = kIndexRedirectionTable + 2 * 200;  // 0x1a0: does not fit a byte
  REQUIRE(index > 0xff);
  h.Program(200, 0x45, 0x03000000);
  CHECK(h.Read32(kRegSelect) == index);
  CHECK(h.ReadIndirect(index) == 0x45u);
  CHECK(h.ReadIndirect(index + 1) == 0x03000000u);
  // Index 0xa0 = pin 72, where a byte-wide IOREGSEL would alias pin 200, is untouched.
  CHECK(h.ReadIndirect(index & 0xff) == kRteMasked);
  REQUIRE(h.routes.size() == 1);
  CHECK(h.routes[0] == IoapicMsiRoute{200, 0xfee03000, 0x45});
}

TEST_CASE("userspace IOAPIC: MSI address/data from an RTE (logical, lowest priority, level)") {
  Harness h;
  h.Program(5, 0x61 | (1u << 8) | kRteDestModeLogical | kRteLevelTriggered, 0x0f000000);
  REQUIRE(h.routes.size() == 1);
  CHECK(h.routes[0].pin == 5);
  CHECK(h.routes[0].address == (0xfee00000u | (0x0fu << 12) | 4u | 8u));
  CHECK(h.routes[0].data == (0x61u | (1u << 8) | (1u << 15) | (1u << 14)));
}

TEST_CASE("userspace IOAPIC: masking removes the route, every RTE write rebuilds the table") {
  Harness h;
  h.Program(5, 0x30, 0);
  h.Program(6, 0x31, 0);
  REQUIRE(h.routes.size() == 2);
  const int updates = h.route_updates;
  h.WriteIndirect(kIndexRedirectionTable + 2 * 5, 0x30 | kRteMasked);
  CHECK(h.route_updates == updates + 1);
  REQUIRE(h.routes.size() == 1);
  CHECK(h.routes[0].pin == 6);
  // A masked pin does not deliver a pulse either.
  h.ioapic.Pulse(5);
  CHECK(h.delivered.empty());
  h.ioapic.Pulse(6);
  REQUIRE(h.delivered.size() == 1);
  CHECK(h.delivered[0].data == 0x31u);
}

TEST_CASE("userspace IOAPIC: EOI clears remote IRR and re-delivers a still-asserted level pin") {
  Harness h;
  h.Program(12, 0x50 | kRteLevelTriggered, 0);
  h.ioapic.SetLevel(12, true);
  REQUIRE(h.delivered.size() == 1);
  CHECK((h.ioapic.redirection_entry(12) & kRteRemoteIrr) != 0);
  h.ioapic.SetLevel(12, true);  // in service: no second delivery
  CHECK(h.delivered.size() == 1);
  h.ioapic.SetLevel(12, false);
  h.Write32(kRegEoi, 0x50);  // EOI register
  CHECK((h.ioapic.redirection_entry(12) & kRteRemoteIrr) == 0);
  CHECK(h.delivered.size() == 1);
  // Asserted across the EOI (KVM_EXIT_IOAPIC_EOI path): delivered again, IRR set again.
  h.ioapic.SetLevel(12, true);
  CHECK(h.delivered.size() == 2);
  h.ioapic.EndOfInterrupt(0x50);
  CHECK(h.delivered.size() == 3);
  CHECK((h.ioapic.redirection_entry(12) & kRteRemoteIrr) != 0);
  // An EOI for another vector changes nothing.
  h.ioapic.EndOfInterrupt(0x51);
  CHECK((h.ioapic.redirection_entry(12) & kRteRemoteIrr) != 0);
}

TEST_CASE("userspace IOAPIC: out-of-range indices and offsets are harmless") {
  Harness h;
  CHECK(h.ReadIndirect(kIndexRedirectionTable + 2 * 256) == 0u);
  CHECK(h.ReadIndirect(0xffffffff) == 0u);
  h.WriteIndirect(0xffffffff, 0x12345678);
  CHECK(h.Read32(0x20) == 0u);
  CHECK(h.routes.empty());
  h.ioapic.Pulse(4000);
  h.ioapic.SetLevel(4000, true);
  CHECK(h.delivered.empty());
}
