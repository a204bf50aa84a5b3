#include "vmm/stop_controller.h"

namespace strato::vmm {

StopKind StopController::ClassifyReset(ResetSource source, bool power_down, bool panic,
                                       bool restart) {
  if (power_down) return StopKind::kPowerOff;
  if (panic) return StopKind::kPanic;
  if (source != ResetSource::kTripleFault || restart) return StopKind::kReboot;
  return StopKind::kTripleFault;
}

void StopController::RequestReset(ResetSource source) {
  StopReason r;
  r.kind = ClassifyReset(source, power_down_.load(), panic_.load(), restart_.load());
  Request(r);
}

void StopController::Request(StopReason reason) {
  std::function<void()> notify;
  {
    std::lock_guard lock(mu_);
    if (reason_) return;
    reason_ = std::move(reason);
    stopping_.store(true, std::memory_order_release);
    notify = on_stop_;
  }
  if (notify) notify();
}

StopReason StopController::reason() const {
  std::lock_guard lock(mu_);
  return reason_.value_or(StopReason{});
}

}  // namespace strato::vmm
