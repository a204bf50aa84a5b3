#pragma once
// The VM backend behind the Task service: one Sandbox per shim (one VM per container, or per
// pod when CRI groups a pod's containers into one shim). The Task service owns the containerd
// semantics (process state machines, events, error codes); a Sandbox only does what it is told
// to the processes inside the VM. The real backend (VMM + guest agent over vsock) and the test
// fake (tests/unit/shim/fake_sandbox.h) implement this.
//
// Conventions every backend follows:
//  - `exec_id` empty means the container's init process.
//  - Exit statuses are runc's: the exit code, or 128 + signal number for a signalled process.
//  - Errors are strato::Error (a user-readable message), or ttrpc::RpcError to choose a code.
//  - Wait() must return for every process that Create()/Exec() made, also after Delete() or
//    Shutdown(): then it throws SandboxFailure.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::shim {

// The VM or its agent died: the exit status of the process is unknown.
class SandboxFailure : public Error {
 public:
  using Error::Error;
};

// The process's standard streams as the backend sees them: it reads the process's input from
// `stdin_fd` (EOF = close the process's stdin) and writes its output to `stdout_fd` /
// `stderr_fd`. Any of them may be invalid (no such stream). With a terminal, output goes to
// stdout only.
struct ProcessStdio {
  UniqueFd stdin_fd;
  UniqueFd stdout_fd;
  UniqueFd stderr_fd;
  bool terminal = false;
};

struct RootfsMount {
  std::string type;
  std::string source;
  std::string target;
  std::vector<std::string> options;
};

struct ContainerConfig {
  std::string id;
  std::string bundle;  // holds config.json
  std::vector<RootfsMount> rootfs;
  std::string runtime_config_path;  // runtimeoptions ConfigPath, if CRI gave one
};

struct ExitInfo {
  uint32_t status = 0;
  std::chrono::system_clock::time_point exited_at;
};

struct ProcessInfo {
  uint32_t pid = 0;
};

// A google.protobuf.Any as the backend produces it (e.g. cgroups metrics for Stats).
struct AnyBlob {
  std::string type_url;
  std::string value;
};

class Sandbox {
 public:
  virtual ~Sandbox() = default;

  // Creates the container and its init process, not yet started. Returns the init pid.
  virtual uint32_t Create(const ContainerConfig& config, ProcessStdio stdio) = 0;
  // Adds an exec process (OCI runtime-spec Process JSON), not yet started.
  virtual void Exec(const std::string& container_id, const std::string& exec_id,
                    const std::string& process_spec_json, ProcessStdio stdio) = 0;
  // Starts a created process; returns its pid.
  virtual uint32_t Start(const std::string& container_id, const std::string& exec_id) = 0;
  // Blocks until the process exits.
  virtual ExitInfo Wait(const std::string& container_id, const std::string& exec_id) = 0;
  virtual void Kill(const std::string& container_id, const std::string& exec_id, uint32_t signal,
                    bool all) = 0;
  // Removes a process; one that is only created is killed first.
  virtual void Delete(const std::string& container_id, const std::string& exec_id) = 0;
  virtual void Pause(const std::string& container_id) = 0;
  virtual void Resume(const std::string& container_id) = 0;
  // Terminal size in columns (width) and rows (height).
  virtual void ResizePty(const std::string& container_id, const std::string& exec_id,
                         uint32_t width, uint32_t height) = 0;
  // The shim closed the process's stdin stream (the backend sees EOF on stdin_fd as well).
  virtual void CloseIO(const std::string& container_id, const std::string& exec_id) = 0;
  virtual std::vector<ProcessInfo> Pids(const std::string& container_id) = 0;
  virtual AnyBlob Stats(const std::string& container_id) = 0;
  // OCI LinuxResources JSON.
  virtual void Update(const std::string& container_id, const std::string& resources_json) = 0;
  // Stops the VM; every pending Wait() returns (throws SandboxFailure).
  virtual void Shutdown() = 0;

  // The Task service learns of out-of-memory kills through this (it publishes TaskOOM).
  using OomHandler = std::function<void(const std::string& container_id)>;
  void set_oom_handler(OomHandler handler) { oom_handler_ = std::move(handler); }

 protected:
  // Backends call this when the guest reports an OOM kill in a container.
  void ReportOom(const std::string& container_id) {
    if (oom_handler_) oom_handler_(container_id);
  }

 private:
  OomHandler oom_handler_;
};

}  // namespace strato::shim
