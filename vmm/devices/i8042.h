#pragma once
// The PS/2 controller, reduced to what a microVM needs: no keyboard, and the reset line (command
// 0xFE on port 0x64), which `reboot=k` guests use to restart the machine (the VM stops with reason
// "reboot"). Registered at ports 0x60..0x64.
//
// The status register reads 0x01: "output buffer full" (OBF) and "input buffer empty" (IBF clear).
// Linux's i8042 probe flushes the output buffer first and gives up after 16 bytes ("No controller
// found", ~40 port exits); with OBF clear it instead waits for a command reply 10,000 times (measured:
// 10,004 exits of port 0x64). The reboot path only waits for IBF clear, so it is not delayed.

#include <functional>
#include <span>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class I8042 : public BusDevice {
 public:
  static constexpr uint64_t kPortSpan = 5;        // 0x60..0x64
  static constexpr uint8_t kCommandReset = 0xfe;      // pulse the CPU reset line
  static constexpr uint8_t kStatusOutputFull = 0x01;  // OBF; IBF (0x02) stays clear
  explicit I8042(std::function<void()> on_reset) : on_reset_(std::move(on_reset)) {}

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

 private:
  std::function<void()> on_reset_;
};

}  // namespace strato::vmm
