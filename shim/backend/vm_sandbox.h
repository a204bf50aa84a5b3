#pragma once
// The real Sandbox: one microVM per container. Create reads the bundle, turns the rootfs into
// layer images (rootfs_layers.h), boots the VM (GuestVmBooter: runtime::ContainerVm), records
// its state directory in the bundle for `delete`, and creates the container process in the
// guest with its stdio streams bound; process calls go to the guest agent, and pumps copy
// bytes between the shim's stdio fds and the agent's vsock streams.
//
// Pids: every task pid is the VMM's host pid (as Kata does): guest pids mean nothing on the
// host, and a host pid lets host tools find the VM. Pids() lists the guest's processes.
//
// When the VMM dies, every Wait still pending throws SandboxFailure (the Task service reports
// the exit with an error status). Shutdown asks the agent to power off, waits a grace period
// for the VMM, then kills it.
//
// One container per VM: a second Create in the same shim (a CRI pod's next container) is
// refused with a clear error. Pause/Resume freeze and thaw the whole VMM process (SIGSTOP /
// SIGCONT). Update is refused: the VM's CPUs and memory are fixed at boot.

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "shim/backend/guest_vm.h"
#include "shim/sandbox.h"
#include "shim/stdio/fd_pump.h"

namespace strato::shim {

struct VmSandboxOptions {
  std::string ns = "default";  // containerd namespace (state dir name)
  GuestVmBooter booter;
  std::string layer_cache_dir;  // empty: rootfs::LayerCache::DefaultDir()
  uint32_t cpus = 1;
  uint64_t memory_mib = 256;
  std::chrono::seconds boot_timeout{300};
  // Shutdown: how long the guest gets to power off before the VMM is killed.
  std::chrono::milliseconds shutdown_grace{5000};
  // Delete/CloseIO: how long output (stdin) gets to drain before its pump is stopped.
  std::chrono::milliseconds drain_timeout{2000};
};

class VmSandbox : public Sandbox {
 public:
  explicit VmSandbox(VmSandboxOptions options);
  ~VmSandbox() override;  // Shutdown()

  uint32_t Create(const ContainerConfig& config, ProcessStdio stdio) override;
  void Exec(const std::string& container_id, const std::string& exec_id,
            const std::string& process_spec_json, ProcessStdio stdio) override;
  uint32_t Start(const std::string& container_id, const std::string& exec_id) override;
  ExitInfo Wait(const std::string& container_id, const std::string& exec_id) override;
  void Kill(const std::string& container_id, const std::string& exec_id, uint32_t signal,
            bool all) override;
  void Delete(const std::string& container_id, const std::string& exec_id) override;
  void Pause(const std::string& container_id) override;
  void Resume(const std::string& container_id) override;
  void ResizePty(const std::string& container_id, const std::string& exec_id, uint32_t width,
                 uint32_t height) override;
  void CloseIO(const std::string& container_id, const std::string& exec_id) override;
  std::vector<ProcessInfo> Pids(const std::string& container_id) override;
  AnyBlob Stats(const std::string& container_id) override;
  void Update(const std::string& container_id, const std::string& resources_json) override;
  void Shutdown() override;

 private:
  struct Proc {
    std::shared_ptr<FdPump> stdin_pump;  // CloseIO waits on it outside the lock
    std::unique_ptr<FdPump> stdout_pump;
    std::unique_ptr<FdPump> stderr_pump;
    bool started = false;
    bool deleted = false;
    bool waiter_done = false;
    std::optional<ExitInfo> exit;
    std::string failure;  // why the exit is unknown
    std::thread agent_waiter;
  };

  GuestVm& Vm(const std::string& container_id);  // NotFound / FailedPrecondition; needs mu_
  std::shared_ptr<Proc> Find(const std::string& exec_id);  // NotFound; needs mu_
  void CreateGuestProcess(const std::string& exec_id, const std::string& process_json,
                          ProcessStdio stdio);
  void WatchVmm();
  std::string VmmFailure() const;  // needs mu_

  const VmSandboxOptions options_;
  std::string container_id_;
  std::string bundle_;
  std::string state_dir_;
  std::unique_ptr<GuestVm> vm_;
  uint32_t vmm_pid_ = 0;
  std::thread vmm_watcher_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<Proc>> procs_;  // by exec id ("" = init)
  bool creating_ = false;
  bool vmm_exited_ = false;
  int vmm_exit_code_ = 0;
  bool shutting_down_ = false;
  bool shut_down_ = false;
};

}  // namespace strato::shim
