#include "guest/agent/reaper.h"

#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/error.h"
#include "guest/agent/process_table.h"

namespace strato::agent {

sigset_t BlockAgentSignals() {
  sigset_t blocked;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGCHLD);
  sigaddset(&blocked, SIGPIPE);
  sigset_t original;
  if (::pthread_sigmask(SIG_BLOCK, &blocked, &original) != 0) ThrowErrno("pthread_sigmask");
  // Outside the VM (host tests) the agent is not PID 1: become the reaper of orphans anyway.
  if (::getpid() != 1) ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  return original;
}

void StartReaper(std::shared_ptr<ProcessTable> table) {
  std::thread([table = std::move(table)] {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    for (;;) {
      siginfo_t info{};
      if (::sigwaitinfo(&chld, &info) < 0) continue;  // EINTR
      // SIGCHLDs coalesce: reap until nothing is left.
      for (;;) {
        int status = 0;
        pid_t pid = ::waitpid(-1, &status, WNOHANG);
        if (pid <= 0) break;
        table->RecordExit(pid, status);
      }
    }
  }).detach();
}

}  // namespace strato::agent
