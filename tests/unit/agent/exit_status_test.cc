// The exit status the agent reports for a reaped wait status (shell convention).

#include <signal.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>

#include "guest/init/supervisor.h"

using strato::guest::ExitStatusFromWaitStatus;

TEST_CASE("exit codes pass through, signals become 128 + n") {
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(0, 0)) == 0);
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(3, 0)) == 3);
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(255, 0)) == 255);
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(0, SIGKILL)) == 137);
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(0, SIGTERM)) == 143);
  // A core dump flag does not change the signal number.
  CHECK(ExitStatusFromWaitStatus(W_EXITCODE(0, SIGSEGV) | WCOREFLAG) == 139);
}
