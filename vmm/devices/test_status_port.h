#pragma once
// The test-guest status port (layout::kPortTestStatus, the address of QEMU's isa-debug-exit):
// a write of 0 reports "test passed", any other value "test failed <value>"; the VM stops. Enabled
// for `strato vm` and the test harness, never for container VMs (VmConfig::test_status_port).

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class TestStatusPort : public BusDevice {
 public:
  static constexpr uint64_t kPortSpan = 4;
  explicit TestStatusPort(std::function<void(uint32_t)> on_status)
      : on_status_(std::move(on_status)) {}
  void Read(uint64_t, std::span<uint8_t> data) override {
    std::memset(data.data(), 0, data.size());
  }
  void Write(uint64_t offset, std::span<const uint8_t> data) override {
    if (offset == 0 && !data.empty() && on_status_) {
      on_status_(static_cast<uint32_t>(AccessValue(data)));
    }
  }

 private:
  std::function<void(uint32_t)> on_status_;
};

}  // namespace strato::vmm
