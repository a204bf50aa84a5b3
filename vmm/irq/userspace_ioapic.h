#pragma once
// The IOAPIC of a split irqchip (KVM_CAP_SPLIT_IRQCHIP: LAPICs in KVM, IOAPIC here), as an MMIO
// device at layout::kIoapicStart. Pure register model: no KVM calls; the VM connects two hooks:
//   - routes_changed(routes): the MSI routes for every programmed, unmasked pin, rebuilt on every
//     redirection-entry write (vmm/irq/kvm_ioapic_routes.h installs them with KVM_SET_GSI_ROUTING,
//     GSI = pin, so devices' irqfds on GSI = pin deliver without leaving the kernel);
//   - deliver(route): one interrupt from a userspace-raised pin (Pulse/SetLevel; KVM_SIGNAL_MSI).
//
// One IOAPIC with 256 pins (kUserspaceIoapicPins) and a 32-bit IOREGSEL: redirection entry n is at
// index 0x10 + 2n, up to 0x20f for pin 255, so IOREGSEL must not be a byte (a u8 IOREGSEL aliases
// every pin >= 120). Linux writes IOREGSEL with a 32-bit store and reads the pin count from the
// version register (bits 23:16 = max redirection entry = 255).
//
// Registers (82093AA datasheet 3.1, IOAPIC version 0x20 adds the EOI register):
//   0x00 IOREGSEL, 0x10 IOWIN, 0x40 EOI (write a vector: clears remote IRR of level pins with it).
// Indirect: 0x00 ID (27:24), 0x01 VER, 0x02 ARB, 0x10 + 2n / 0x11 + 2n redirection entry n.

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

// An MSI message for a pin (Intel SDM vol. 3, 11.11: MSI address/data format).
struct IoapicMsiRoute {
  uint32_t pin = 0;  // also the KVM GSI of the route
  uint32_t address = 0;
  uint32_t data = 0;
  bool operator==(const IoapicMsiRoute&) const = default;
};

namespace ioapic {
inline constexpr uint64_t kRegSelect = 0x00;  // IOREGSEL
inline constexpr uint64_t kRegWindow = 0x10;  // IOWIN
inline constexpr uint64_t kRegEoi = 0x40;     // EOI (version >= 0x20)
inline constexpr uint32_t kIndexId = 0x00;
inline constexpr uint32_t kIndexVersion = 0x01;
inline constexpr uint32_t kIndexArbitration = 0x02;
inline constexpr uint32_t kIndexRedirectionTable = 0x10;
inline constexpr uint32_t kVersion = 0x20;  // has the EOI register (what Linux checks)
inline constexpr uint32_t kIdShift = 24;
inline constexpr uint32_t kIdMask = 0xfu << kIdShift;
// Redirection entry bits.
inline constexpr uint64_t kRteVectorMask = 0xff;
inline constexpr uint64_t kRteDeliveryModeShift = 8;  // 10:8
inline constexpr uint64_t kRteDeliveryModeMask = 0x7ull << kRteDeliveryModeShift;
inline constexpr uint64_t kRteDestModeLogical = 1ull << 11;
inline constexpr uint64_t kRteDeliveryStatus = 1ull << 12;  // read-only
inline constexpr uint64_t kRtePolarityLow = 1ull << 13;
inline constexpr uint64_t kRteRemoteIrr = 1ull << 14;  // read-only
inline constexpr uint64_t kRteLevelTriggered = 1ull << 15;
inline constexpr uint64_t kRteMasked = 1ull << 16;
inline constexpr uint64_t kRteDestinationShift = 56;  // 63:56
inline constexpr uint64_t kRteReadOnlyBits = kRteDeliveryStatus | kRteRemoteIrr;
// Vectors 0-15 are reserved (architectural exceptions): a pin with one is not programmed yet.
inline constexpr uint32_t kFirstValidVector = 0x10;
// MSI (SDM 11.11.1/11.11.2).
inline constexpr uint32_t kMsiAddressBase = 0xfee00000;
inline constexpr uint32_t kMsiDestinationShift = 12;
inline constexpr uint32_t kMsiRedirectionHint = 1u << 3;
inline constexpr uint32_t kMsiDestModeLogical = 1u << 2;
inline constexpr uint32_t kMsiDeliveryModeShift = 8;
inline constexpr uint32_t kMsiLevelTriggered = 1u << 15;
inline constexpr uint32_t kMsiLevelAssert = 1u << 14;
}  // namespace ioapic

class UserspaceIoapic : public BusDevice {
 public:
  using RoutesChanged = std::function<void(const std::vector<IoapicMsiRoute>&)>;
  using Deliver = std::function<void(const IoapicMsiRoute&)>;

  UserspaceIoapic(uint32_t pins, uint8_t id, RoutesChanged routes_changed, Deliver deliver);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Interrupts raised by VMM-side (not irqfd) sources.
  void Pulse(uint32_t pin);
  void SetLevel(uint32_t pin, bool asserted);
  // End of interrupt for `vector` (EOI register or KVM_EXIT_IOAPIC_EOI): clears remote IRR of the
  // level-triggered pins with that vector, and re-delivers those whose line is still asserted.
  void EndOfInterrupt(uint8_t vector);

  uint32_t pins() const { return static_cast<uint32_t>(rte_.size()); }
  uint64_t redirection_entry(uint32_t pin) const;
  // The routes for the current redirection table (what routes_changed last received).
  std::vector<IoapicMsiRoute> Routes() const;

 private:
  uint32_t ReadIndirect(uint32_t index) const;
  void WriteIndirect(uint32_t index, uint32_t value);
  std::vector<IoapicMsiRoute> RoutesLocked() const;
  IoapicMsiRoute RouteFor(uint32_t pin) const;
  bool Deliverable(uint32_t pin) const;

  mutable std::mutex mu_;
  uint32_t select_ = 0;  // IOREGSEL: 32 bits wide on purpose (see above)
  uint32_t id_;
  std::vector<uint64_t> rte_;
  std::vector<bool> line_;  // level of each pin's input line (level-triggered sources)
  RoutesChanged routes_changed_;
  Deliver deliver_;
};

}  // namespace strato::vmm
