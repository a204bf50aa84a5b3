#pragma once
// Where the guest's serial output goes: written to the console fd as it arrives, and watched line
// by line for the kernel's shutdown messages that classify the stop (see stop_controller.h).
// Lines are bounded (longer ones are cut for matching, never for output).

#include <string>

#include "vmm/stop_controller.h"

namespace strato::vmm {

class GuestConsole {
 public:
  static constexpr size_t kMaxMatchedLine = 512;
  // Markers printed by Linux 6.1 kernel/reboot.c and kernel/panic.c.
  static constexpr const char* kPowerDownMarker = "reboot: Power down";
  // What `poweroff -f` prints without ACPI: reboot(2) turns POWER_OFF into HALT when the kernel
  // has no power-off method, and machine_halt() stops every CPU with interrupts off.
  static constexpr const char* kHaltedMarker = "reboot: System halted";
  static constexpr const char* kRestartMarker = "reboot: Restarting system";
  static constexpr const char* kPanicMarker = "Kernel panic - not syncing";

  // `fd` < 0 discards output. `on_power_down` runs (on the vCPU thread) when the power-down line
  // is seen, to arm a deadline in case the guest then halts for good.
  GuestConsole(int fd, StopController& stop, std::function<void()> on_power_down);
  void Put(uint8_t byte);

 private:
  void Match();
  int fd_;
  StopController& stop_;
  std::function<void()> on_power_down_;
  std::string line_;
};

}  // namespace strato::vmm
