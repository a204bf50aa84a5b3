#pragma once
// Decides, once, why the VM stops, and tells everyone (vCPU threads, the event loop). Devices and
// vCPUs report what they saw; the first report wins.
//
// A reset (i8042 0xFE, KVM_EXIT_SHUTDOWN, a reset system event) is classified with what the
// guest kernel printed before it (GuestConsoleWatcher feeds the markers):
//   "reboot: Power down" seen        -> poweroff (Linux without ACPI cannot turn itself off: it
//                                       prints this, then init's exit panics and panic=-1 resets)
//   "Kernel panic - not syncing" seen -> panic
//   i8042 reset or "reboot: Restarting system" seen -> reboot
//   otherwise a KVM_EXIT_SHUTDOWN    -> triple-fault
// docs/vmm.md explains the choice.

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>

#include "vmm/stop_reason.h"

namespace strato::vmm {

enum class ResetSource { kKeyboardController, kTripleFault, kSystemEvent };

class StopController {
 public:
  // Called once, from whichever thread made the decision.
  void SetOnStop(std::function<void()> on_stop) { on_stop_ = std::move(on_stop); }

  void Request(StopReason reason);
  void RequestReset(ResetSource source);
  void NotePowerDown() { power_down_.store(true); }
  void NotePanic() { panic_.store(true); }
  void NoteRestart() { restart_.store(true); }
  bool power_down_seen() const { return power_down_.load(); }

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  // The decision (valid once stopping()).
  StopReason reason() const;

  // Pure classification of a reset (unit tested).
  static StopKind ClassifyReset(ResetSource source, bool power_down, bool panic, bool restart);

 private:
  mutable std::mutex mu_;
  std::optional<StopReason> reason_;
  std::function<void()> on_stop_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> power_down_{false}, panic_{false}, restart_{false};
};

}  // namespace strato::vmm
