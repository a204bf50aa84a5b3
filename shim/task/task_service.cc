#include "shim/task/task_service.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <thread>

#include "oci/json_reader.h"
#include "oci/runtime_spec.h"
#include "proto/containerd/events.pb.h"
#include "proto/containerd/runtime_options.pb.h"
#include "shim/bundle.h"
#include "shim/events/timestamp.h"
#include "ttrpc/status.h"

namespace strato::shim {

namespace {

namespace events = containerd::events;

// runc reports a process that died from signal n as 128 + n.
constexpr uint32_t kSignalExitBase = 128;
// Exit status reported when the VM died and the real status is unknown (containerd's
// "unknown exit status" convention).
constexpr uint32_t kUnknownExitStatus = 255;

std::string Key(const std::string& id, const std::string& exec_id) {
  return exec_id.empty() ? id : id + "/" + exec_id;
}

void RequireId(const std::string& id) {
  if (id.empty()) throw ttrpc::InvalidArgument("container id must not be empty");
}

// The process exists now: start taking its input (see ProcessIo::ConnectStdin for why not
// earlier). A FIFO that vanished meanwhile costs the process its input, not its creation.
void ConnectStdin(Process& process) {
  try {
    process.io()->ConnectStdin();
  } catch (const std::exception& e) {
    spdlog::warn("process {}: stdin not connected: {}", process.name(), e.what());
  }
}

StdioPaths PathsOf(const std::string& in, const std::string& out, const std::string& err,
                   bool terminal) {
  return StdioPaths{in, out, err, terminal};
}

}  // namespace

TaskService::TaskService(std::unique_ptr<Sandbox> sandbox, std::shared_ptr<EventPublisher> events,
                         TaskServiceOptions options)
    : sandbox_(std::move(sandbox)), events_(std::move(events)), options_(std::move(options)) {
  sandbox_->set_oom_handler([this](const std::string& container_id) {
    events::TaskOOM e;
    e.set_container_id(container_id);
    events_->Publish(topics::kTaskOOM, e);
  });
}

TaskService::~TaskService() {
  Stop();
}

TaskService::Container& TaskService::FindContainer(const std::string& id) {
  RequireId(id);
  auto it = containers_.find(id);
  if (it == containers_.end()) throw ttrpc::NotFound("container " + id);
  return it->second;
}

void TaskService::RequireContainer(const std::string& id) {
  std::lock_guard lock(mu_);
  FindContainer(id);
}

std::shared_ptr<Process> TaskService::FindProcess(const std::string& id,
                                                  const std::string& exec_id) {
  Container& c = FindContainer(id);
  if (exec_id.empty()) return c.init;
  auto it = c.execs.find(exec_id);
  if (it == c.execs.end()) throw ttrpc::NotFound("process " + exec_id);
  return it->second;
}

void TaskService::PublishExit(const Process& p) {
  events::TaskExit e;
  e.set_container_id(p.container_id());
  e.set_id(p.exec_id().empty() ? p.container_id() : p.exec_id());
  e.set_pid(p.pid());
  e.set_exit_status(p.exit()->status);
  SetTimestamp(e.mutable_exited_at(), p.exit()->exited_at);
  events_->Publish(topics::kTaskExit, e);
}

void TaskService::RecordExit(const std::shared_ptr<Process>& p, const ExitInfo& exit) {
  if (p->SetExited(exit)) {
    spdlog::info("process {} exited with status {}", p->name(), exit.status);
    // A process killed before it ever started has no TaskStart, so no TaskExit either.
    if (p->started() && !stopping_) PublishExit(*p);
  }
  cv_.notify_all();
}

void TaskService::SpawnWaiter(std::shared_ptr<Process> p) {
  ++waiters_;
  std::thread([this, p = std::move(p)] {
    ExitInfo exit;
    try {
      exit = sandbox_->Wait(p->container_id(), p->exec_id());
    } catch (const std::exception& e) {
      spdlog::error("process {}: the sandbox failed: {}", p->name(), e.what());
      exit = ExitInfo{kUnknownExitStatus, std::chrono::system_clock::now()};
    }
    std::lock_guard lock(mu_);
    RecordExit(p, exit);
    --waiters_;
    cv_.notify_all();
  }).detach();
}

taskapi::CreateTaskResponse TaskService::Create(const taskapi::CreateTaskRequest& r) {
  RequireId(r.id());
  if (!r.checkpoint().empty() || !r.parent_checkpoint().empty()) {
    throw ttrpc::NotImplemented("restoring a checkpoint");
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) throw ttrpc::Unavailable("shim is shutting down");
    if (containers_.count(r.id()) || reserved_.count(r.id())) {
      throw ttrpc::AlreadyExists("container " + r.id());
    }
    reserved_.insert(r.id());
  }
  auto unreserve = [&] {
    std::lock_guard lock(mu_);
    reserved_.erase(r.id());
  };
  auto process = std::make_shared<Process>(
      ProcessKind::kInit, r.id(), "", PathsOf(r.stdin(), r.stdout(), r.stderr(), r.terminal()));
  try {
    ContainerConfig config;
    config.id = r.id();
    config.bundle = r.bundle();
    ReadBundle(r.bundle());  // fail early, with the file named, on a broken bundle
    for (const auto& m : r.rootfs()) {
      config.rootfs.push_back(
          RootfsMount{m.type(), m.source(), m.target(), {m.options().begin(), m.options().end()}});
    }
    if (r.has_options() && !r.options().value().empty()) {
      runtimeoptions::v1::Options opts;
      if (opts.ParseFromString(r.options().value()))
        config.runtime_config_path = opts.config_path();
    }
    process->set_io(
        ProcessIo::Open(process->stdio(), r.id(), options_.ns, /*keep_stdin_open=*/true));
    process->set_pid(sandbox_->Create(config, process->io()->TakeBackendStdio()));
  } catch (...) {
    unreserve();
    throw;
  }
  ConnectStdin(*process);
  std::lock_guard lock(mu_);
  reserved_.erase(r.id());
  if (stopping_) {
    // Stop() ran meanwhile: it already shut the sandbox down and waited for the waiters.
    process->io()->Close();
    throw ttrpc::Unavailable("shim is shutting down");
  }
  Container& c = containers_[r.id()];
  c.bundle = r.bundle();
  c.init = process;
  events::TaskCreate e;
  e.set_container_id(r.id());
  e.set_bundle(r.bundle());
  *e.mutable_rootfs() = r.rootfs();
  e.mutable_io()->set_stdin(r.stdin());
  e.mutable_io()->set_stdout(r.stdout());
  e.mutable_io()->set_stderr(r.stderr());
  e.mutable_io()->set_terminal(r.terminal());
  e.set_checkpoint(r.checkpoint());
  e.set_pid(process->pid());
  events_->Publish(topics::kTaskCreate, e);
  SpawnWaiter(process);
  taskapi::CreateTaskResponse out;
  out.set_pid(process->pid());
  return out;
}

void TaskService::Exec(const taskapi::ExecProcessRequest& r) {
  if (r.exec_id().empty()) throw ttrpc::InvalidArgument("exec id must not be empty");
  const std::string key = Key(r.id(), r.exec_id());
  {
    std::lock_guard lock(mu_);
    Container& c = FindContainer(r.id());
    if (c.init->state() == ProcessState::kStopped) {
      throw ttrpc::FailedPrecondition("container " + r.id() + " is stopped");
    }
    if (c.execs.count(r.exec_id()) || reserved_.count(key)) {
      throw ttrpc::AlreadyExists("id " + r.exec_id());
    }
    reserved_.insert(key);
  }
  auto process =
      std::make_shared<Process>(ProcessKind::kExec, r.id(), r.exec_id(),
                                PathsOf(r.stdin(), r.stdout(), r.stderr(), r.terminal()));
  try {
    // Validate the OCI Process JSON here so a bad spec is the client's error, not the VM's.
    try {
      oci::ParseProcess(r.spec().value());
    } catch (const oci::SpecError& e) {
      throw ttrpc::InvalidArgument("exec " + r.exec_id() + " spec: " + e.what());
    }
    process->set_io(ProcessIo::Open(process->stdio(), r.id(), options_.ns, false));
    sandbox_->Exec(r.id(), r.exec_id(), r.spec().value(), process->io()->TakeBackendStdio());
  } catch (...) {
    std::lock_guard lock(mu_);
    reserved_.erase(key);
    throw;
  }
  ConnectStdin(*process);
  std::lock_guard lock(mu_);
  reserved_.erase(key);
  if (stopping_) {
    process->io()->Close();
    throw ttrpc::Unavailable("shim is shutting down");
  }
  auto it = containers_.find(r.id());
  if (it == containers_.end()) {
    // Deleted while the exec was being created: undo.
    process->io()->Close();
    throw ttrpc::NotFound("container " + r.id());
  }
  it->second.execs[r.exec_id()] = process;
  events::TaskExecAdded e;
  e.set_container_id(r.id());
  e.set_exec_id(r.exec_id());
  events_->Publish(topics::kTaskExecAdded, e);
  SpawnWaiter(process);
}

taskapi::StartResponse TaskService::Start(const taskapi::StartRequest& r) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard lock(mu_);
    p = FindProcess(r.id(), r.exec_id());
    p->BeginStart();
  }
  uint32_t pid;
  try {
    pid = sandbox_->Start(r.id(), r.exec_id());
  } catch (...) {
    std::lock_guard lock(mu_);
    p->AbortStart();
    cv_.notify_all();
    throw;
  }
  std::lock_guard lock(mu_);
  std::optional<ExitInfo> early_exit = p->FinishStart(pid);
  if (p->kind() == ProcessKind::kInit) {
    events::TaskStart e;
    e.set_container_id(r.id());
    e.set_pid(pid);
    events_->Publish(topics::kTaskStart, e);
  } else {
    events::TaskExecStarted e;
    e.set_container_id(r.id());
    e.set_exec_id(r.exec_id());
    e.set_pid(pid);
    events_->Publish(topics::kTaskExecStarted, e);
  }
  // An exit that came in while the backend was starting is published after the start.
  if (early_exit) {
    spdlog::info("process {} exited with status {} while starting", p->name(), early_exit->status);
    if (!stopping_) PublishExit(*p);
  }
  cv_.notify_all();
  taskapi::StartResponse out;
  out.set_pid(pid);
  return out;
}

taskapi::DeleteResponse TaskService::Delete(const taskapi::DeleteRequest& r) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard lock(mu_);
    p = FindProcess(r.id(), r.exec_id());
    p->CheckCanDelete();
    if (p->state() == ProcessState::kCreated) {
      // Never started: the backend kills it on Delete; record that as a SIGKILL exit.
      p->SetExited(ExitInfo{kSignalExitBase + SIGKILL, std::chrono::system_clock::now()});
      cv_.notify_all();
    }
  }
  sandbox_->Delete(r.id(), r.exec_id());
  if (p->io()) {
    if (!p->io()->WaitOutputDrained(options_.output_drain_timeout)) {
      spdlog::warn("process {}: output not fully delivered before delete", p->name());
    }
    p->io()->Close();
  }
  std::lock_guard lock(mu_);
  auto it = containers_.find(r.id());
  if (it != containers_.end()) {
    if (r.exec_id().empty()) {
      for (auto& [exec_id, exec] : it->second.execs) {
        if (exec->io()) exec->io()->Close();
      }
      containers_.erase(it);
    } else {
      it->second.execs.erase(r.exec_id());
    }
  }
  taskapi::DeleteResponse out;
  out.set_pid(p->pid());
  out.set_exit_status(p->exit()->status);
  SetTimestamp(out.mutable_exited_at(), p->exit()->exited_at);
  if (r.exec_id().empty()) {
    events::TaskDelete e;
    e.set_container_id(r.id());
    e.set_pid(p->pid());
    e.set_exit_status(p->exit()->status);
    *e.mutable_exited_at() = out.exited_at();
    e.set_id(r.id());
    events_->Publish(topics::kTaskDelete, e);
  }
  return out;
}

taskapi::StateResponse TaskService::State(const taskapi::StateRequest& r) {
  std::lock_guard lock(mu_);
  auto p = FindProcess(r.id(), r.exec_id());
  taskapi::StateResponse out;
  out.set_id(r.id());
  out.set_bundle(containers_.at(r.id()).bundle);
  out.set_pid(p->pid());
  out.set_status(p->status());
  out.set_stdin(p->stdio().stdin_path);
  out.set_stdout(p->stdio().stdout_path);
  out.set_stderr(p->stdio().stderr_path);
  out.set_terminal(p->stdio().terminal);
  out.set_exec_id(r.exec_id());
  if (p->exit()) {
    out.set_exit_status(p->exit()->status);
    SetTimestamp(out.mutable_exited_at(), p->exit()->exited_at);
  }
  return out;
}

void TaskService::Kill(const taskapi::KillRequest& r) {
  {
    std::lock_guard lock(mu_);
    FindProcess(r.id(), r.exec_id())->CheckCanKill();
  }
  try {
    sandbox_->Kill(r.id(), r.exec_id(), r.signal(), r.all());
  } catch (...) {
    // The process may have exited between the check and the backend call.
    std::lock_guard lock(mu_);
    FindProcess(r.id(), r.exec_id())->CheckCanKill();
    throw;
  }
}

taskapi::WaitResponse TaskService::Wait(const taskapi::WaitRequest& r) {
  std::unique_lock lock(mu_);
  auto p = FindProcess(r.id(), r.exec_id());
  cv_.wait(lock, [&] { return p->exit().has_value() || stopping_; });
  if (!p->exit()) throw ttrpc::Unavailable("shim is shutting down");
  taskapi::WaitResponse out;
  out.set_exit_status(p->exit()->status);
  SetTimestamp(out.mutable_exited_at(), p->exit()->exited_at);
  return out;
}

void TaskService::Pause(const taskapi::PauseRequest& r) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard lock(mu_);
    p = FindProcess(r.id(), "");
    if (p->state() != ProcessState::kRunning) p->Pause();  // throws the precise error
  }
  sandbox_->Pause(r.id());
  std::lock_guard lock(mu_);
  p->Pause();
  events::TaskPaused e;
  e.set_container_id(r.id());
  events_->Publish(topics::kTaskPaused, e);
}

void TaskService::Resume(const taskapi::ResumeRequest& r) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard lock(mu_);
    p = FindProcess(r.id(), "");
    if (p->state() != ProcessState::kPaused) p->Resume();
  }
  sandbox_->Resume(r.id());
  std::lock_guard lock(mu_);
  p->Resume();
  events::TaskResumed e;
  e.set_container_id(r.id());
  events_->Publish(topics::kTaskResumed, e);
}

void TaskService::ResizePty(const taskapi::ResizePtyRequest& r) {
  {
    std::lock_guard lock(mu_);
    auto p = FindProcess(r.id(), r.exec_id());
    p->CheckCanKill();
    if (!p->stdio().terminal) return;  // no terminal: nothing to resize (as runc)
  }
  sandbox_->ResizePty(r.id(), r.exec_id(), r.width(), r.height());
}

void TaskService::CloseIO(const taskapi::CloseIORequest& r) {
  std::shared_ptr<Process> p;
  {
    std::lock_guard lock(mu_);
    p = FindProcess(r.id(), r.exec_id());
  }
  if (!r.stdin()) return;
  if (p->io()) p->io()->CloseStdin();
  sandbox_->CloseIO(r.id(), r.exec_id());
}

taskapi::PidsResponse TaskService::Pids(const taskapi::PidsRequest& r) {
  RequireContainer(r.id());
  taskapi::PidsResponse out;
  for (const auto& info : sandbox_->Pids(r.id())) out.add_processes()->set_pid(info.pid);
  return out;
}

taskapi::StatsResponse TaskService::Stats(const taskapi::StatsRequest& r) {
  RequireContainer(r.id());
  AnyBlob blob = sandbox_->Stats(r.id());
  taskapi::StatsResponse out;
  out.mutable_stats()->set_type_url(blob.type_url);
  out.mutable_stats()->set_value(blob.value);
  return out;
}

void TaskService::Update(const taskapi::UpdateTaskRequest& r) {
  RequireContainer(r.id());
  sandbox_->Update(r.id(), r.resources().value());
}

void TaskService::Checkpoint(const taskapi::CheckpointTaskRequest&) {
  throw ttrpc::NotImplemented("checkpointing a VM task");
}

taskapi::ConnectResponse TaskService::Connect(const taskapi::ConnectRequest& r) {
  std::lock_guard lock(mu_);
  taskapi::ConnectResponse out;
  out.set_shim_pid(static_cast<uint32_t>(::getpid()));
  if (auto it = containers_.find(r.id()); it != containers_.end()) {
    out.set_task_pid(it->second.init->pid());
  }
  out.set_version(options_.version);
  return out;
}

void TaskService::Shutdown(const taskapi::ShutdownRequest& r) {
  bool idle;
  {
    std::lock_guard lock(mu_);
    if (!containers_.empty() && !r.now()) return;  // still serving tasks: ignore
    if (shutdown_requested_) return;
    shutdown_requested_ = true;
    idle = containers_.empty() && reserved_.empty();
  }
  spdlog::info("shutdown requested{}", r.now() ? " (now)" : "");
  // The VM goes before the answer: containerd closes the connection when Shutdown returns and
  // at once runs `delete`, which must find nothing left to clean up (and no VMM to race with).
  if (idle) sandbox_->Shutdown();
  if (options_.on_shutdown) options_.on_shutdown();
}

void TaskService::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    cv_.notify_all();
  }
  sandbox_->Shutdown();
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return waiters_ == 0; });
  for (auto& [id, c] : containers_) {
    if (c.init->io()) c.init->io()->Close();
    for (auto& [exec_id, exec] : c.execs) {
      if (exec->io()) exec->io()->Close();
    }
  }
}

bool TaskService::idle() const {
  std::lock_guard lock(mu_);
  return containers_.empty() && reserved_.empty();
}

}  // namespace strato::shim
