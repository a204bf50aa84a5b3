#include "shim/task/process.h"

#include "ttrpc/status.h"

namespace strato::shim {

const char* ProcessStateName(ProcessState state) {
  switch (state) {
    case ProcessState::kCreated:
      return "created";
    case ProcessState::kRunning:
      return "running";
    case ProcessState::kPaused:
      return "paused";
    case ProcessState::kStopped:
      return "stopped";
  }
  return "unknown";
}

Process::Process(ProcessKind kind, std::string container_id, std::string exec_id, StdioPaths stdio)
    : kind_(kind),
      container_id_(std::move(container_id)),
      exec_id_(std::move(exec_id)),
      stdio_(std::move(stdio)) {}

std::string Process::name() const {
  return exec_id_.empty() ? container_id_ : container_id_ + "/" + exec_id_;
}

containerd::v1::types::Status Process::status() const {
  switch (state_) {
    case ProcessState::kCreated:
      return containerd::v1::types::CREATED;
    case ProcessState::kRunning:
      return containerd::v1::types::RUNNING;
    case ProcessState::kPaused:
      return containerd::v1::types::PAUSED;
    case ProcessState::kStopped:
      return containerd::v1::types::STOPPED;
  }
  return containerd::v1::types::UNKNOWN;
}

void Process::BeginStart() {
  if (starting_) throw ttrpc::FailedPrecondition("process " + name() + " is already starting");
  if (state_ != ProcessState::kCreated) {
    throw ttrpc::FailedPrecondition("cannot start a " + std::string(ProcessStateName(state_)) +
                                    " process " + name());
  }
  starting_ = true;
}

std::optional<ExitInfo> Process::FinishStart(uint32_t pid) {
  starting_ = false;
  started_ = true;
  pid_ = pid;
  state_ = ProcessState::kRunning;
  if (held_exit_) {
    exit_ = held_exit_;
    held_exit_.reset();
    state_ = ProcessState::kStopped;
    return exit_;
  }
  return std::nullopt;
}

void Process::AbortStart() {
  starting_ = false;
  if (held_exit_) {
    exit_ = held_exit_;
    held_exit_.reset();
    state_ = ProcessState::kStopped;
  }
}

bool Process::SetExited(const ExitInfo& exit) {
  if (state_ == ProcessState::kStopped || held_exit_) return false;
  if (starting_) {
    held_exit_ = exit;
    return false;
  }
  exit_ = exit;
  state_ = ProcessState::kStopped;
  return true;
}

void Process::CheckCanKill() const {
  if (state_ == ProcessState::kStopped) throw ttrpc::NotFound("process already finished");
}

void Process::CheckCanDelete() const {
  if (state_ == ProcessState::kRunning || state_ == ProcessState::kPaused || starting_) {
    throw ttrpc::FailedPrecondition("cannot delete a " + std::string(ProcessStateName(state_)) +
                                    " process " + name());
  }
}

void Process::Pause() {
  if (kind_ != ProcessKind::kInit) throw ttrpc::FailedPrecondition("only a task can be paused");
  if (state_ != ProcessState::kRunning) {
    throw ttrpc::FailedPrecondition("cannot pause a " + std::string(ProcessStateName(state_)) +
                                    " task " + name());
  }
  state_ = ProcessState::kPaused;
}

void Process::Resume() {
  if (kind_ != ProcessKind::kInit) throw ttrpc::FailedPrecondition("only a task can be resumed");
  if (state_ != ProcessState::kPaused) {
    throw ttrpc::FailedPrecondition("cannot resume a " + std::string(ProcessStateName(state_)) +
                                    " task " + name());
  }
  state_ = ProcessState::kRunning;
}

}  // namespace strato::shim
