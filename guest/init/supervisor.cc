#include "guest/init/supervisor.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "guest/init/console_log.h"

namespace strato::guest {

namespace {

constexpr int kSignalExitBase = 128;

// Signals a user or the host may send to "the container" (docker kill, Ctrl-C on the console,
// a terminal resize); everything else keeps its default disposition.
constexpr int kForwardedSignals[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                     SIGUSR2, SIGWINCH, SIGCONT, SIGALRM, SIGPWR};

}  // namespace

int ExitStatusFromWaitStatus(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return kSignalExitBase + WTERMSIG(wait_status);
  return kSignalExitBase;  // stopped/continued are not reported by the waits used here
}

Supervisor::Supervisor() {
  sigemptyset(&handled_);
  sigaddset(&handled_, SIGCHLD);
  for (int sig : kForwardedSignals) sigaddset(&handled_, sig);
  if (::sigprocmask(SIG_BLOCK, &handled_, &original_mask_) != 0) ThrowErrno("sigprocmask");
  // Outside PID 1 (never in the VM; only if a test forgot its PID namespace) orphans would go to
  // the real init: become their reaper instead.
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int Supervisor::WaitForMain(pid_t main) {
  for (;;) {
    siginfo_t info{};
    int sig = ::sigwaitinfo(&handled_, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("sigwaitinfo");
    }
    if (sig != SIGCHLD) {
      if (::kill(main, sig) != 0 && errno != ESRCH) {
        LogWarning("forwarding signal " + std::to_string(sig) + ": " + std::to_string(errno));
      }
      continue;
    }
    // SIGCHLDs coalesce: reap until nothing is left to reap.
    for (;;) {
      int status = 0;
      pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == main) return ExitStatusFromWaitStatus(status);
    }
  }
}

void Supervisor::KillRemaining() {
  // Anywhere but PID 1 of a namespace, kill(-1) would reach every process the caller may signal.
  bool namespace_init = ::getpid() == 1;
  if (namespace_init) ::kill(-1, SIGKILL);
  int flags = namespace_init ? 0 : WNOHANG;
  while (::waitpid(-1, nullptr, flags) > 0 || errno == EINTR) {
  }
}

}  // namespace strato::guest
