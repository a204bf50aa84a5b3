#pragma once
// One process of a container as containerd sees it, with the runc shim's state machine
// (pkg/process: init and exec kinds):
//
//   created --Start--> running --exit--> stopped --Delete--> (gone)
//      |                 ^   |
//      |          Resume |   | Pause      (init only)
//      |                 +- paused --exit--> stopped
//      +--exit (killed before start)--> stopped
//
// Transitions that are not allowed throw ttrpc::RpcError with containerd's error class. The
// Task service guards every Process with its own mutex.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "proto/containerd/task_types.pb.h"
#include "shim/sandbox.h"
#include "shim/stdio/process_io.h"

namespace strato::shim {

enum class ProcessKind { kInit, kExec };

enum class ProcessState { kCreated, kRunning, kPaused, kStopped };

const char* ProcessStateName(ProcessState state);

class Process {
 public:
  Process(ProcessKind kind, std::string container_id, std::string exec_id, StdioPaths stdio);

  ProcessKind kind() const { return kind_; }
  const std::string& container_id() const { return container_id_; }
  const std::string& exec_id() const { return exec_id_; }
  // "<container>" or "<container>/<exec>" for messages.
  std::string name() const;
  const StdioPaths& stdio() const { return stdio_; }
  ProcessState state() const { return state_; }
  containerd::v1::types::Status status() const;
  uint32_t pid() const { return pid_; }
  void set_pid(uint32_t pid) { pid_ = pid; }
  const std::optional<ExitInfo>& exit() const { return exit_; }
  bool started() const { return started_; }

  // Start may only begin from created; the caller then runs the backend's Start outside the
  // lock and calls FinishStart (or AbortStart). An exit that arrives meanwhile is held back
  // and returned by FinishStart, so TaskStart is published before TaskExit.
  void BeginStart();
  std::optional<ExitInfo> FinishStart(uint32_t pid);
  void AbortStart();
  bool starting() const { return starting_; }

  // Records the exit. Returns false if it was held back (start in flight) or already known.
  bool SetExited(const ExitInfo& exit);

  void CheckCanKill() const;    // NotFound "process already finished" once stopped
  void CheckCanDelete() const;  // FailedPrecondition while running or paused
  void Pause();                 // running -> paused
  void Resume();                // paused -> running

  ProcessIo* io() const { return io_.get(); }
  void set_io(std::unique_ptr<ProcessIo> io) { io_ = std::move(io); }

 private:
  const ProcessKind kind_;
  const std::string container_id_;
  const std::string exec_id_;
  const StdioPaths stdio_;
  ProcessState state_ = ProcessState::kCreated;
  uint32_t pid_ = 0;
  bool started_ = false;
  bool starting_ = false;
  std::optional<ExitInfo> exit_;
  std::optional<ExitInfo> held_exit_;
  std::unique_ptr<ProcessIo> io_;
};

}  // namespace strato::shim
