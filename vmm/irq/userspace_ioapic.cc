#include "vmm/irq/userspace_ioapic.h"

#include <string>

#include "common/error.h"

namespace strato::vmm {

using namespace ioapic;

namespace {
constexpr uint32_t kMaxPins = 256;  // the version register's max-redirection-entry is 8 bits
constexpr uint64_t kLowHalf = 0xffffffffull;
}  // namespace

UserspaceIoapic::UserspaceIoapic(uint32_t pins, uint8_t id, RoutesChanged routes_changed,
                                 Deliver deliver)
    : id_(static_cast<uint32_t>(id) << kIdShift & kIdMask),
      rte_(pins, kRteMasked),  // every entry resets masked
      line_(pins, false),
      routes_changed_(std::move(routes_changed)),
      deliver_(std::move(deliver)) {
  if (pins == 0 || pins > kMaxPins) {
    throw Error("userspace IOAPIC: " + std::to_string(pins) + " pins (1.." +
                std::to_string(kMaxPins) + " supported)");
  }
}

void UserspaceIoapic::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  uint64_t value = 0;
  if (offset == kRegSelect) {
    value = select_;
  } else if (offset == kRegWindow) {
    value = ReadIndirect(select_);
  }  // EOI is write-only; other offsets read as 0
  SetAccessValue(data, value);
}

void UserspaceIoapic::Write(uint64_t offset, std::span<const uint8_t> data) {
  const uint32_t value = static_cast<uint32_t>(AccessValue(data));
  std::unique_lock lock(mu_);
  if (offset == kRegSelect) {
    select_ = value;
  } else if (offset == kRegWindow) {
    WriteIndirect(select_, value);
  } else if (offset == kRegEoi) {
    lock.unlock();
    EndOfInterrupt(static_cast<uint8_t>(value));
  }
}

uint32_t UserspaceIoapic::ReadIndirect(uint32_t index) const {
  switch (index) {
    case kIndexId:
      return id_;
    case kIndexVersion:
      return kVersion | ((pins() - 1) << 16);
    case kIndexArbitration:
      return id_;
    default:
      break;
  }
  if (index < kIndexRedirectionTable) return 0;
  const uint64_t pin = (static_cast<uint64_t>(index) - kIndexRedirectionTable) / 2;
  if (pin >= rte_.size()) return 0;
  const bool high = (index - kIndexRedirectionTable) % 2 == 1;
  return static_cast<uint32_t>(high ? rte_[pin] >> 32 : rte_[pin] & kLowHalf);
}

void UserspaceIoapic::WriteIndirect(uint32_t index, uint32_t value) {
  if (index == kIndexId) {
    id_ = value & kIdMask;
    return;
  }
  if (index < kIndexRedirectionTable) return;  // VER and ARB are read-only
  const uint64_t pin = (static_cast<uint64_t>(index) - kIndexRedirectionTable) / 2;
  if (pin >= rte_.size()) return;
  const bool high = (index - kIndexRedirectionTable) % 2 == 1;
  uint64_t& e = rte_[pin];
  if (high) {
    e = (e & kLowHalf) | (static_cast<uint64_t>(value) << 32);
  } else {
    // Delivery status and remote IRR are the IOAPIC's, not the guest's.
    e = (e & ~kLowHalf) | (e & kRteReadOnlyBits) | (value & ~kRteReadOnlyBits & kLowHalf);
  }
  // An edge-triggered pin has no remote IRR.
  if (!(e & kRteLevelTriggered)) e &= ~kRteRemoteIrr;
  if (routes_changed_) routes_changed_(RoutesLocked());
  // Unmasking a level pin whose line is up delivers it now (as the hardware would).
  if (Deliverable(static_cast<uint32_t>(pin)) && (e & kRteLevelTriggered) && line_[pin] &&
      !(e & kRteRemoteIrr)) {
    e |= kRteRemoteIrr;
    if (deliver_) deliver_(RouteFor(static_cast<uint32_t>(pin)));
  }
}

bool UserspaceIoapic::Deliverable(uint32_t pin) const {
  const uint64_t e = rte_[pin];
  return !(e & kRteMasked) && (e & kRteVectorMask) >= kFirstValidVector;
}

IoapicMsiRoute UserspaceIoapic::RouteFor(uint32_t pin) const {
  const uint64_t e = rte_[pin];
  IoapicMsiRoute r;
  r.pin = pin;
  const uint32_t dest = static_cast<uint32_t>(e >> kRteDestinationShift) & 0xff;
  r.address = kMsiAddressBase | (dest << kMsiDestinationShift);
  if (e & kRteDestModeLogical) r.address |= kMsiDestModeLogical | kMsiRedirectionHint;
  const uint32_t delivery_mode =
      static_cast<uint32_t>((e & kRteDeliveryModeMask) >> kRteDeliveryModeShift);
  r.data = static_cast<uint32_t>(e & kRteVectorMask) | (delivery_mode << kMsiDeliveryModeShift);
  if (e & kRteLevelTriggered) r.data |= kMsiLevelTriggered | kMsiLevelAssert;
  return r;
}

std::vector<IoapicMsiRoute> UserspaceIoapic::RoutesLocked() const {
  std::vector<IoapicMsiRoute> routes;
  for (uint32_t pin = 0; pin < pins(); ++pin) {
    if (Deliverable(pin)) routes.push_back(RouteFor(pin));
  }
  return routes;
}

std::vector<IoapicMsiRoute> UserspaceIoapic::Routes() const {
  std::lock_guard lock(mu_);
  return RoutesLocked();
}

uint64_t UserspaceIoapic::redirection_entry(uint32_t pin) const {
  std::lock_guard lock(mu_);
  return pin < rte_.size() ? rte_[pin] : 0;
}

void UserspaceIoapic::Pulse(uint32_t pin) {
  std::lock_guard lock(mu_);
  if (pin >= rte_.size() || !Deliverable(pin)) return;  // a masked edge is lost
  if (deliver_) deliver_(RouteFor(pin));
}

void UserspaceIoapic::SetLevel(uint32_t pin, bool asserted) {
  std::lock_guard lock(mu_);
  if (pin >= rte_.size()) return;
  const bool was = line_[pin];
  line_[pin] = asserted;
  uint64_t& e = rte_[pin];
  if (!asserted || !Deliverable(pin)) return;
  if (e & kRteLevelTriggered) {
    if (e & kRteRemoteIrr) return;  // already in service: the EOI re-delivers
    e |= kRteRemoteIrr;
  } else if (was) {
    return;  // edge pin: only a rising edge delivers
  }
  if (deliver_) deliver_(RouteFor(pin));
}

void UserspaceIoapic::EndOfInterrupt(uint8_t vector) {
  std::lock_guard lock(mu_);
  for (uint32_t pin = 0; pin < pins(); ++pin) {
    uint64_t& e = rte_[pin];
    if ((e & kRteVectorMask) != vector || !(e & kRteRemoteIrr)) continue;
    e &= ~kRteRemoteIrr;
    if ((e & kRteLevelTriggered) && line_[pin] && Deliverable(pin)) {
      e |= kRteRemoteIrr;
      if (deliver_) deliver_(RouteFor(pin));
    }
  }
}

}  // namespace strato::vmm
