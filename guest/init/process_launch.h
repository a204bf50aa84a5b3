#pragma once
// "Process launch": an OCI process spec -> a running process. The parent prepares everything that
// can fail without side effects (plans, the compiled seccomp filter) so a bad spec is reported
// before fork; the child then applies them in runc's order and execs. An agent serving exec
// requests later reuses this with another oci::Process.

#include <signal.h>
#include <sys/types.h>

#include <optional>

#include "guest/init/capabilities.h"
#include "guest/init/rlimits.h"
#include "guest/init/seccomp_filter.h"
#include "oci/runtime_spec.h"

namespace strato::guest {

// Exit code of a child that failed before execve for a reason other than a missing or
// non-executable binary (docker's "the runtime failed" code).
inline constexpr int kExitLaunchFailed = 125;
// umask when the spec has none (runc's default).
inline constexpr mode_t kDefaultUmask = 022;

struct PreparedProcess {
  const oci::Process* process = nullptr;
  std::vector<RlimitSetting> rlimits;
  std::optional<CapabilityPlan> capabilities;  // nullopt: leave capabilities as they are
  std::optional<SeccompFilter> seccomp;
};

// Validates and compiles; throws strato::Error naming the problem.
PreparedProcess PrepareProcess(const oci::Process& process,
                               const std::optional<oci::Seccomp>& seccomp);

// Where the child's standard fds come from (the agent's pipes or a pty slave). Each fd >= 0 is
// dup2'ed onto 0/1/2 in the child right after setsid; -1 keeps the parent's. The parent's own
// fds must be close-on-exec (the agent opens everything with O_CLOEXEC).
struct ChildStdio {
  int in = -1;
  int out = -1;
  int err = -1;
  // `in` is a pty slave: it becomes the new session's controlling terminal (TIOCSCTTY).
  bool controlling_terminal = false;
};

// fork(); the child restores `child_signal_mask`, wires `stdio`, applies the spec and execs
// (never returns); the parent gets the pid. Messages from the child go to its stderr, as runc's
// do.
pid_t LaunchProcess(const PreparedProcess& prepared, const sigset_t& child_signal_mask,
                    const ChildStdio& stdio = {});

}  // namespace strato::guest
