#pragma once
// One container's microVM, seen from the host: Boot builds the initramfs (cached base with
// strato-init + the config archive), spawns strato-vmm with the layer disks and the hybrid vsock
// socket, and waits until the guest agent answers; then the agent client drives the container's
// processes and OpenStream dials their stdio streams. Used by `strato run` and the shim's VM
// backend. State directory layout: vsock.sock, vmm.pid, console.log, initrd.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/error.h"
#include "common/file_util.h"
#include "runtime/agent_client.h"
#include "runtime/container_launch.h"
#include "runtime/vmm_process.h"

namespace strato::runtime {

// File names inside ContainerLaunch::state_dir.
inline constexpr const char* kVsockSocketName = "vsock.sock";
inline constexpr const char* kVmmPidFileName = "vmm.pid";
inline constexpr const char* kConsoleLogName = "console.log";
inline constexpr const char* kInitrdName = "initrd";

// What a boot's `check_cancel` throws (runtime/container_launch.h); Boot passes it on unchanged.
using BootCancelled = Cancelled;

class ContainerVm {
 public:
  // Throws strato::Error when the VM cannot be prepared or started, or when the agent does not
  // answer within `timeout` or the VMM exits first (the message quotes the console log's tail).
  // `check_cancel`, when set, runs while waiting and throws to abandon the boot (Ctrl-C).
  static std::unique_ptr<ContainerVm> Boot(const ContainerLaunch& launch,
                                           std::chrono::seconds timeout,
                                           const std::function<void()>& check_cancel = {});
  ~ContainerVm();  // kills the VMM if running, removes state_dir
  ContainerVm(const ContainerVm&) = delete;
  ContainerVm& operator=(const ContainerVm&) = delete;

  AgentClient& agent() { return *agent_; }
  // Dials the agent's stdio port and binds the stream to `process_id`.
  UniqueFd OpenStream(const std::string& process_id, StdioStream stream);
  pid_t vmm_pid() const { return vmm_->pid(); }
  const std::string& state_dir() const { return state_dir_; }
  // Blocks until the VMM process exits; its exit code (strato-vmm's codes, docs/vmm.md).
  int WaitVmmExit() { return vmm_->Wait(); }
  // Waits up to `grace` for the VMM to exit; SIGKILL after that. Returns the exit code.
  int WaitVmmExitOrKill(std::chrono::milliseconds grace);
  void KillVmm() { vmm_->Kill(); }  // SIGKILL, idempotent
  // The last lines of the console log (kernel messages, strato-init's lines, VMM errors).
  std::string ConsoleTail(size_t lines = 20) const;

 private:
  ContainerVm() = default;
  // Throws when the VMM has exited, quoting the console.
  void CheckVmmAlive();

  std::string state_dir_;
  std::unique_ptr<VmmProcess> vmm_;
  std::unique_ptr<AgentClient> agent_;
};

}  // namespace strato::runtime
