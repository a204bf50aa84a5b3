#pragma once
// The agent's processes: the container's own process (id "") and the execs, each with its state
// machine
//
//   created --StartProcess--> running --reaped--> exited --DeleteProcess--> (gone)
//   created --DeleteProcess--> (gone)
//
// its stdio, and its exit. WaitProcess answers only once the process exited AND every output
// stream was drained to the host (the drain rule). All methods are thread-safe (ttrpc handlers,
// the stream listener and the reaper call them concurrently); errors are ttrpc::RpcError with the
// code the host acts on.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common/file_util.h"
#include "guest/agent/stdio_handshake.h"
#include "oci/runtime_spec.h"

namespace strato::agent {

struct ProcessEntry;

struct ExitRecord {
  int exit_status = 0;
  int64_t exited_at_unix_nanos = 0;
};

class ProcessTable : public std::enable_shared_from_this<ProcessTable> {
 public:
  // `container_spec` (may be null: no container process) provides id "" and the seccomp profile
  // every process gets. `child_mask` is the signal mask children restore before execve.
  ProcessTable(const oci::RuntimeSpec* container_spec, const sigset_t& child_mask);
  ~ProcessTable();

  void Create(const std::string& id, const std::string& process_json, bool terminal,
              bool want_stdin, bool want_stdout, bool want_stderr);
  pid_t Start(const std::string& id);
  ExitRecord Wait(const std::string& id);
  void Signal(const std::string& id, int signal, bool all);
  void CloseStdin(const std::string& id);
  void Resize(const std::string& id, uint32_t columns, uint32_t rows);
  void Delete(const std::string& id);

  // Binds a stream connection to a created or running process and starts its pump. Throws
  // ttrpc::RpcError (the message goes into the "ERR" answer; `connection` is left to the caller).
  void BindStream(const StreamRequest& request, UniqueFd& connection);

  // The reaper reports every reaped child here; unknown pids (orphans) are ignored.
  void RecordExit(pid_t pid, int wait_status);

  // pid -> process id of every running process the agent started.
  std::map<pid_t, std::string> RunningPids() const;

  // Blocks until the agent's work is done: Shutdown was requested, or the container process and
  // every started exec exited and each exit was returned by WaitProcess (or deleted). Returns
  // true when Shutdown was requested.
  bool WaitUntilDone();
  void RequestShutdown();
  // After Shutdown killed everything: waits (bounded) until no started process is running.
  void WaitForRunningToExit(std::chrono::milliseconds timeout);
  // Before the server stops: WaitProcess calls still blocked (a process never started, output
  // the host does not read) answer UNAVAILABLE, so the server can finish its calls.
  void CancelWaits();
  // The container process's exit status, if it exited.
  std::optional<int> container_exit_status() const;

 private:
  std::shared_ptr<ProcessEntry> FindLocked(const std::string& id) const;
  void OutputDrained(const std::shared_ptr<ProcessEntry>& entry);
  void StdinPumpDone(const std::shared_ptr<ProcessEntry>& entry);
  bool DoneLocked() const;

  const oci::RuntimeSpec* container_spec_;
  sigset_t child_mask_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<ProcessEntry>> entries_;
  bool container_started_ = false;
  bool container_exit_reported_ = false;
  std::optional<int> container_exit_status_;
  bool shutdown_requested_ = false;
  bool waits_cancelled_ = false;
};

}  // namespace strato::agent
