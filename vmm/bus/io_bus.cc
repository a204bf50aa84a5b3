#include "vmm/bus/io_bus.h"

#include <cstring>

#include "common/error.h"

namespace strato::vmm {

uint64_t AccessValue(std::span<const uint8_t> data) {
  uint64_t v = 0;
  std::memcpy(&v, data.data(), std::min<size_t>(data.size(), sizeof v));
  return v;
}

void SetAccessValue(std::span<uint8_t> data, uint64_t value) {
  std::memcpy(data.data(), &value, std::min<size_t>(data.size(), sizeof value));
}

void IoBus::Register(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device,
                     std::string device_name) {
  char where[64];
  std::snprintf(where, sizeof where, "[%#llx, +%#llx)", static_cast<unsigned long long>(base),
                static_cast<unsigned long long>(length));
  if (length == 0 || base + length < base) {
    throw Error(name_ + " bus: " + device_name + " has an empty or wrapping range " + where);
  }
  auto next = ranges_.lower_bound(base);
  if (next != ranges_.end() && next->first < base + length) {
    throw Error(name_ + " bus: " + device_name + " " + where + " overlaps " + next->second.name);
  }
  if (next != ranges_.begin()) {
    auto prev = std::prev(next);
    if (prev->first + prev->second.length > base) {
      throw Error(name_ + " bus: " + device_name + " " + where + " overlaps " + prev->second.name);
    }
  }
  ranges_.emplace(base, Range{length, std::move(device), std::move(device_name)});
}

const std::pair<const uint64_t, IoBus::Range>* IoBus::Find(uint64_t address, uint64_t size) const {
  auto it = ranges_.upper_bound(address);
  if (it == ranges_.begin()) return nullptr;
  --it;
  uint64_t offset = address - it->first;
  if (offset >= it->second.length || size > it->second.length - offset) return nullptr;
  return &*it;
}

bool IoBus::Read(uint64_t address, std::span<uint8_t> data) const {
  if (const auto* r = Find(address, data.size())) {
    r->second.device->Read(address - r->first, data);
    return true;
  }
  std::memset(data.data(), 0xff, data.size());
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool IoBus::Write(uint64_t address, std::span<const uint8_t> data) const {
  if (const auto* r = Find(address, data.size())) {
    r->second.device->Write(address - r->first, data);
    return true;
  }
  unclaimed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace strato::vmm
