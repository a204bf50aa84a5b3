#pragma once
// The PS/2 controller, reduced to what a microVM needs: benign reads (empty buffers, no
// keyboard) and the reset line, command 0xFE on port 0x64, which `reboot=k` guests use to restart
// the machine (the VM stops with reason "reboot"). Registered at ports 0x60..0x64.

#include <functional>
#include <span>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class I8042 : public BusDevice {
 public:
  static constexpr uint64_t kPortSpan = 5;        // 0x60..0x64
  static constexpr uint8_t kCommandReset = 0xfe;  // pulse the CPU reset line
  explicit I8042(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {}

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

 private:
  std::function<void()> on_reset_;
};

}  // namespace strato::vmm
