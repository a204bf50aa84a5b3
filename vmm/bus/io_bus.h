#pragma once
// Address -> device dispatch for one address space (port I/O or MMIO). Devices register a range
// before the vCPUs start; overlapping ranges are refused. Accesses to unclaimed addresses read as
// all ones and writes are dropped (what a real bus with nothing on it does), and are counted.

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class IoBus {
 public:
  explicit IoBus(std::string name) : name_(std::move(name)) {}

  // Registers [base, base + length) for `device`; throws strato::Error on overlap or length 0.
  void Register(uint64_t base, uint64_t length, std::shared_ptr<BusDevice> device,
                std::string device_name);
  // Dispatches an access; returns false if nothing claims the address (then a read is filled
  // with 0xff bytes).
  bool Read(uint64_t address, std::span<uint8_t> data) const;
  bool Write(uint64_t address, std::span<const uint8_t> data) const;
  uint64_t unclaimed_accesses() const { return unclaimed_.load(std::memory_order_relaxed); }

 private:
  struct Range {
    uint64_t length;
    std::shared_ptr<BusDevice> device;
    std::string name;
  };
  // The range containing [address, address + size), if one does.
  const std::pair<const uint64_t, Range>* Find(uint64_t address, uint64_t size) const;

  std::string name_;
  std::map<uint64_t, Range> ranges_;  // by base address
  mutable std::atomic<uint64_t> unclaimed_{0};
};

}  // namespace strato::vmm
