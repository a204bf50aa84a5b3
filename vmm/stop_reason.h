#pragma once
// Why a VM stopped, as `strato vm` reports it ("strato vm: guest stopped: <reason>") and maps it
// to an exit code (the contract in docs/vmm.md).

#include <cstdint>
#include <string>

namespace strato::vmm {

enum class StopKind { kReboot, kPowerOff, kTripleFault, kPanic, kTestPassed, kTestFailed, kError };

struct StopReason {
  StopKind kind = StopKind::kError;
  uint32_t test_code = 0;  // kTestFailed: the value the guest wrote
  std::string detail;      // kError: what went wrong (for the log; not part of Describe())

  // "reboot", "poweroff", "triple-fault", "panic", "test-passed", "test-failed <code>", "error".
  std::string Describe() const;
  // 0 reboot/poweroff/test-passed, 1 test-failed, 3 triple-fault, 4 panic, 5 error.
  int ExitCode() const;
};

}  // namespace strato::vmm
