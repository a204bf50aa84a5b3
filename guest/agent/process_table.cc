#include "guest/agent/process_table.h"

#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/error.h"
#include "guest/agent/guest_processes.h"
#include "guest/agent/process_entry.h"
#include "guest/agent/stream_pump.h"
#include "guest/init/supervisor.h"
#include "ttrpc/status.h"
#include "ttrpc/unix_socket.h"

namespace strato::agent {

namespace {

constexpr int64_t kNanosPerSecond = 1'000'000'000;
// The largest window dimension struct winsize holds (unsigned short).
constexpr uint32_t kMaxWindowDimension = 0xffff;

std::string Quoted(const std::string& id) {
  return "process '" + id + "'";
}

int64_t NowUnixNanos() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

void SignalEventFd(int fd) {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(fd, &one, sizeof one);
}

const char* StateName(ProcessState state) {
  switch (state) {
    case ProcessState::kCreated:
      return "created";
    case ProcessState::kRunning:
      return "running";
    case ProcessState::kExited:
      return "exited";
  }
  return "?";
}

}  // namespace

ProcessTable::ProcessTable(const oci::RuntimeSpec* container_spec, const sigset_t& child_mask)
    : container_spec_(container_spec), child_mask_(child_mask) {}

ProcessTable::~ProcessTable() = default;

std::shared_ptr<ProcessEntry> ProcessTable::FindLocked(const std::string& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) throw ttrpc::NotFound(Quoted(id));
  return it->second;
}

void ProcessTable::Create(const std::string& id, const std::string& process_json, bool terminal,
                          bool want_stdin, bool want_stdout, bool want_stderr) {
  if (auto problem = ValidateProcessId(id)) throw ttrpc::InvalidArgument(*problem);
  if (terminal && want_stderr) {
    throw ttrpc::InvalidArgument(
        "a terminal process has no stderr stream (its output is on stdout)");
  }
  auto entry = std::make_shared<ProcessEntry>();
  entry->id = id;
  const oci::Process* process = nullptr;
  if (id.empty()) {
    if (!process_json.empty()) {
      throw ttrpc::InvalidArgument(
          "process_json must be empty for the container process (id \"\")");
    }
    if (container_spec_ == nullptr || !container_spec_->process) {
      throw ttrpc::FailedPrecondition("the container's spec has no process");
    }
    process = &*container_spec_->process;
  } else {
    if (process_json.empty())
      throw ttrpc::InvalidArgument("process_json of exec " + Quoted(id) + " is empty");
    try {
      entry->exec_process = std::make_unique<oci::Process>(oci::ParseProcess(process_json));
    } catch (const std::exception& e) {
      throw ttrpc::InvalidArgument(e.what());
    }
    process = entry->exec_process.get();
  }
  const std::optional<oci::Seccomp> no_seccomp;
  const auto& seccomp =
      container_spec_ && container_spec_->linux ? container_spec_->linux->seccomp : no_seccomp;
  try {
    entry->prepared.emplace(guest::PrepareProcess(*process, seccomp));
  } catch (const std::exception& e) {
    throw ttrpc::InvalidArgument(e.what());
  }
  std::lock_guard lock(mu_);
  if (entries_.count(id) != 0) throw ttrpc::AlreadyExists(Quoted(id));
  entry->stdio =
      OpenProcessStdio(terminal, want_stdin, want_stdout, want_stderr, process->console_size);
  entry->outputs_pending = terminal ? 1 : int{want_stdout} + int{want_stderr};
  entries_[id] = entry;
}

pid_t ProcessTable::Start(const std::string& id) {
  std::shared_ptr<ProcessEntry> entry;
  {
    std::lock_guard lock(mu_);
    entry = FindLocked(id);
    if (entry->state != ProcessState::kCreated) {
      throw ttrpc::FailedPrecondition(Quoted(id) + " is " + StateName(entry->state));
    }
    // Under the lock: the reaper cannot record this pid's exit before the pid is known.
    entry->pid = guest::LaunchProcess(*entry->prepared, child_mask_, entry->stdio.ChildFds());
    entry->stdio.CloseChildEnds();
    entry->state = ProcessState::kRunning;
    if (id.empty()) container_started_ = true;
    if (!entry->stdio.want_stdin) entry->stdio.stdin_writer.reset();
  }
  // A terminal's output the host did not ask for is read and dropped, or the process would
  // block on a full pty.
  if (entry->stdio.terminal && !entry->stdio.want_stdout) {
    std::lock_guard lock(mu_);
    UniqueFd master = std::move(entry->stdio.stdout_reader);
    std::thread([self = shared_from_this(), entry, master = std::move(master)]() mutable {
      PumpOutput(std::move(master), UniqueFd());
      self->OutputDrained(entry);
    }).detach();
  }
  return entry->pid;
}

ExitRecord ProcessTable::Wait(const std::string& id) {
  std::unique_lock lock(mu_);
  std::shared_ptr<ProcessEntry> entry = FindLocked(id);
  cv_.wait(lock, [&] {
    return entry->deleted || waits_cancelled_ ||
           (entry->exit_status && entry->outputs_pending == 0);
  });
  if (entry->deleted) throw ttrpc::NotFound(Quoted(id) + " was deleted");
  if (!entry->exit_status || entry->outputs_pending != 0) {
    throw ttrpc::Unavailable("the agent is shutting down before " + Quoted(id) + " finished");
  }
  entry->exit_reported = true;
  if (id.empty()) container_exit_reported_ = true;
  cv_.notify_all();
  return {*entry->exit_status, entry->exited_at_unix_nanos};
}

void ProcessTable::Signal(const std::string& id, int signal, bool all) {
  if (signal <= 0 || signal >= NSIG) {
    throw ttrpc::InvalidArgument("signal " + std::to_string(signal) + " is not a signal number");
  }
  pid_t pid;
  {
    std::lock_guard lock(mu_);
    std::shared_ptr<ProcessEntry> entry = FindLocked(id);
    pid = entry->pid;
    if (!all && entry->state != ProcessState::kRunning) {
      if (entry->state == ProcessState::kExited) throw ttrpc::NotFound(Quoted(id) + " has exited");
      throw ttrpc::FailedPrecondition(Quoted(id) + " is not started");
    }
  }
  if (!all) {
    if (::kill(pid, signal) != 0 && errno != ESRCH) ThrowErrno("kill " + Quoted(id));
    return;
  }
  for (const ContainerProcess& p : ListContainerProcesses({})) ::kill(p.pid, signal);
}

void ProcessTable::CloseStdin(const std::string& id) {
  std::lock_guard lock(mu_);
  std::shared_ptr<ProcessEntry> entry = FindLocked(id);
  if (entry->stdin_closed) return;
  entry->stdin_closed = true;
  if (entry->stdin_bound) {
    // The pump forwards what already arrived, then closes stdin (StdinPumpDone).
    if (entry->stdin_stop.valid()) SignalEventFd(entry->stdin_stop.get());
    return;
  }
  entry->stdio.stdin_writer.reset();
  if (entry->stdio.terminal && entry->state == ProcessState::kRunning) {
    SendTerminalEof(entry->stdio.pty_master.get());
  }
}

void ProcessTable::Resize(const std::string& id, uint32_t columns, uint32_t rows) {
  if (columns > kMaxWindowDimension || rows > kMaxWindowDimension) {
    throw ttrpc::InvalidArgument("window size " + std::to_string(columns) + "x" +
                                 std::to_string(rows) + " exceeds 65535");
  }
  std::lock_guard lock(mu_);
  std::shared_ptr<ProcessEntry> entry = FindLocked(id);
  if (!entry->stdio.terminal) throw ttrpc::FailedPrecondition(Quoted(id) + " has no terminal");
  SetWindowSize(entry->stdio.pty_master.get(), columns, rows);
}

void ProcessTable::Delete(const std::string& id) {
  std::lock_guard lock(mu_);
  std::shared_ptr<ProcessEntry> entry = FindLocked(id);
  if (entry->state == ProcessState::kRunning) {
    throw ttrpc::FailedPrecondition(Quoted(id) + " is running");
  }
  if (id.empty() && entry->state == ProcessState::kExited) container_exit_reported_ = true;
  entry->deleted = true;
  if (entry->stdin_stop.valid()) SignalEventFd(entry->stdin_stop.get());
  // Pumps of a created-only process see end of file once the child ends are gone.
  entry->stdio.CloseChildEnds();
  entry->stdio.stdin_writer.reset();
  entries_.erase(id);
  cv_.notify_all();
}

void ProcessTable::BindStream(const StreamRequest& request, UniqueFd& connection) {
  std::lock_guard lock(mu_);
  std::shared_ptr<ProcessEntry> entry = FindLocked(request.id);
  const std::string what =
      std::string(StdioStreamName(request.stream)) + " of " + Quoted(request.id);
  if (entry->state == ProcessState::kExited)
    throw ttrpc::FailedPrecondition(Quoted(request.id) + " has exited");
  ProcessStdio& stdio = entry->stdio;
  bool wanted = false;
  bool* bound = nullptr;
  switch (request.stream) {
    case StdioStream::kStdin:
      wanted = stdio.want_stdin;
      bound = &entry->stdin_bound;
      break;
    case StdioStream::kStdout:
      wanted = stdio.want_stdout;
      bound = &entry->stdout_bound;
      break;
    case StdioStream::kStderr:
      if (stdio.terminal)
        throw ttrpc::FailedPrecondition("a terminal process has no stderr stream");
      wanted = stdio.want_stderr;
      bound = &entry->stderr_bound;
      break;
  }
  if (!wanted) throw ttrpc::FailedPrecondition(what + " was not requested at CreateProcess");
  if (*bound) throw ttrpc::AlreadyExists(what);
  if (request.stream == StdioStream::kStdin && entry->stdin_closed) {
    throw ttrpc::FailedPrecondition(what + " is closed");
  }
  UniqueFd stop;
  if (request.stream == StdioStream::kStdin) {
    stop.reset(::eventfd(0, EFD_CLOEXEC));
    if (!stop.valid()) ThrowErrno("eventfd for the stdin of " + Quoted(request.id));
  }
  // OK goes out before the pump can write the first byte of output.
  if (!ttrpc::SendAll(connection.get(), kHandshakeOk)) {
    throw ttrpc::Unavailable("the host closed the stream connection");
  }
  *bound = true;
  auto self = shared_from_this();
  if (request.stream == StdioStream::kStdin) {
    entry->stdin_stop = std::move(stop);
    std::thread([self, entry, conn = std::move(connection),
                 sink = std::move(stdio.stdin_writer)]() mutable {
      PumpInput(conn.get(), sink.get(), entry->stdin_stop.get());
      conn.reset();
      sink.reset();
      self->StdinPumpDone(entry);
    }).detach();
    return;
  }
  UniqueFd source =
      std::move(request.stream == StdioStream::kStdout ? stdio.stdout_reader : stdio.stderr_reader);
  std::thread([self, entry, conn = std::move(connection), source = std::move(source)]() mutable {
    PumpOutput(std::move(source), std::move(conn));
    self->OutputDrained(entry);
  }).detach();
}

void ProcessTable::OutputDrained(const std::shared_ptr<ProcessEntry>& entry) {
  std::lock_guard lock(mu_);
  --entry->outputs_pending;
  cv_.notify_all();
}

void ProcessTable::StdinPumpDone(const std::shared_ptr<ProcessEntry>& entry) {
  std::lock_guard lock(mu_);
  entry->stdin_closed = true;
  // A terminal's stdin is the pty itself: end of input is the EOF character.
  if (entry->stdio.terminal && entry->state == ProcessState::kRunning) {
    try {
      SendTerminalEof(entry->stdio.pty_master.get());
    } catch (const std::exception&) {
      // The terminal is gone with the process.
    }
  }
}

void ProcessTable::RecordExit(pid_t pid, int wait_status) {
  std::lock_guard lock(mu_);
  for (auto& [id, entry] : entries_) {
    if (entry->pid != pid || entry->state != ProcessState::kRunning) continue;
    entry->state = ProcessState::kExited;
    entry->exit_status = guest::ExitStatusFromWaitStatus(wait_status);
    entry->exited_at_unix_nanos = NowUnixNanos();
    if (entry->stdin_stop.valid()) SignalEventFd(entry->stdin_stop.get());
    entry->stdio.stdin_writer.reset();
    if (id.empty()) container_exit_status_ = entry->exit_status;
    cv_.notify_all();
    return;
  }
}

std::map<pid_t, std::string> ProcessTable::RunningPids() const {
  std::lock_guard lock(mu_);
  std::map<pid_t, std::string> out;
  for (const auto& [id, entry] : entries_) {
    if (entry->state == ProcessState::kRunning) out[entry->pid] = id;
  }
  return out;
}

bool ProcessTable::DoneLocked() const {
  if (!container_started_ || !container_exit_reported_) return false;
  for (const auto& [id, entry] : entries_) {
    if (entry->state == ProcessState::kRunning) return false;
    if (entry->state == ProcessState::kExited && !entry->exit_reported) return false;
  }
  return true;
}

bool ProcessTable::WaitUntilDone() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return shutdown_requested_ || DoneLocked(); });
  return shutdown_requested_;
}

void ProcessTable::RequestShutdown() {
  std::lock_guard lock(mu_);
  shutdown_requested_ = true;
  cv_.notify_all();
}

void ProcessTable::WaitForRunningToExit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] {
    for (const auto& [id, entry] : entries_) {
      if (entry->state == ProcessState::kRunning) return false;
    }
    return true;
  });
}

void ProcessTable::CancelWaits() {
  std::lock_guard lock(mu_);
  waits_cancelled_ = true;
  cv_.notify_all();
}

std::optional<int> ProcessTable::container_exit_status() const {
  std::lock_guard lock(mu_);
  return container_exit_status_;
}

}  // namespace strato::agent
