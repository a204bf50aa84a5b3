#pragma once
// "Supervisor": what PID 1 does while the container runs. It blocks the signals it handles (so
// they queue for sigwaitinfo instead of being dropped: PID 1 ignores default-action signals),
// forwards the forwardable ones to the container's main process, reaps every zombie (orphans are
// re-parented to PID 1), and turns the main process's wait status into an exit status.

#include <signal.h>
#include <sys/types.h>

namespace strato::guest {

// Shell convention: exit code, or 128 + signal number for a process killed by a signal.
int ExitStatusFromWaitStatus(int wait_status);

class Supervisor {
 public:
  // Blocks SIGCHLD and the forwarded signals in the calling thread.
  Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // The signal mask children must restore before execve.
  const sigset_t& child_mask() const { return original_mask_; }

  // Until `main` exits: forward signals to it, reap everything. Returns its exit status.
  int WaitForMain(pid_t main);

  // After the main process is gone: SIGKILL every remaining process (only when this process is
  // PID 1 of its namespace, where kill(-1) means "everyone else in the container") and reap them.
  void KillRemaining();

 private:
  sigset_t original_mask_;
  sigset_t handled_;
};

}  // namespace strato::guest
