#include "vmm/stop_reason.h"

namespace strato::vmm {

std::string StopReason::Describe() const {
  switch (kind) {
    case StopKind::kReboot:
      return "reboot";
    case StopKind::kPowerOff:
      return "poweroff";
    case StopKind::kTripleFault:
      return "triple-fault";
    case StopKind::kPanic:
      return "panic";
    case StopKind::kTestPassed:
      return "test-passed";
    case StopKind::kTestFailed:
      return "test-failed " + std::to_string(test_code);
    case StopKind::kError:
      return "error";
  }
  return "error";
}

int StopReason::ExitCode() const {
  switch (kind) {
    case StopKind::kReboot:
    case StopKind::kPowerOff:
    case StopKind::kTestPassed:
      return 0;
    case StopKind::kTestFailed:
      return 1;
    case StopKind::kTripleFault:
      return 3;
    case StopKind::kPanic:
      return 4;
    case StopKind::kError:
      return 5;
  }
  return 5;
}

}  // namespace strato::vmm
