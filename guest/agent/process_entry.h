#pragma once
// One process in the agent's table (guest/agent/process_table.h), guarded by the table's mutex.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "guest/agent/process_stdio.h"
#include "guest/init/process_launch.h"
#include "oci/runtime_spec.h"

namespace strato::agent {

enum class ProcessState { kCreated, kRunning, kExited };

struct ProcessEntry {
  std::string id;
  ProcessState state = ProcessState::kCreated;
  std::unique_ptr<oci::Process> exec_process;  // execs own their parsed Process
  // Points at exec_process or the spec's process (optional: SeccompFilter is not assignable).
  std::optional<guest::PreparedProcess> prepared;
  ProcessStdio stdio;
  bool stdin_bound = false;
  bool stdout_bound = false;
  bool stderr_bound = false;
  // Eventfd that tells the stdin pump to stop (CloseStdin, exit, delete). Lives as long as the
  // entry, which the pump holds, so the fd is never reused under it.
  UniqueFd stdin_stop;
  bool stdin_closed = false;
  // Output streams (stdout, stderr, or the pty) whose bytes have not all reached the host.
  int outputs_pending = 0;
  pid_t pid = 0;
  std::optional<int> exit_status;
  int64_t exited_at_unix_nanos = 0;
  bool exit_reported = false;  // a WaitProcess returned it (the power-off rule counts these)
  bool deleted = false;
};

}  // namespace strato::agent
