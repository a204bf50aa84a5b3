#pragma once
// What the VM backend (vm_sandbox.h) needs from one booted container VM: the guest agent's
// process calls, its stdio streams, and the VMM process. The real one is runtime::ContainerVm
// with its runtime::AgentClient (container_vm_guest.cc); tests use a fake. Keeping VmSandbox
// on this seam lets its logic (stdio pumps, waits, a dying VMM, shutdown) be tested without a
// guest boot, which costs ~30 s on the development machines.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "guest/config/guest_config.h"
#include "shim/backend/guest_metrics.h"
#include "shim/sandbox.h"

namespace strato::shim {

enum class GuestStream { kStdin, kStdout, kStderr };

class GuestVm {
 public:
  virtual ~GuestVm() = default;  // kills the VMM if still running, removes the state dir

  // Agent calls (contract section 2); each throws on error (ttrpc::RpcError with the code).
  virtual void CreateProcess(const std::string& id, const std::string& process_json, bool terminal,
                             bool want_stdin, bool want_stdout, bool want_stderr) = 0;
  virtual uint32_t StartProcess(const std::string& id) = 0;  // guest pid
  virtual ExitInfo WaitProcess(const std::string& id) = 0;   // runc-style status
  virtual void SignalProcess(const std::string& id, int signal, bool all) = 0;
  virtual void CloseStdin(const std::string& id) = 0;
  virtual void ResizePty(const std::string& id, uint32_t columns, uint32_t rows) = 0;
  virtual void DeleteProcess(const std::string& id) = 0;
  virtual std::vector<uint32_t> ListPids() = 0;
  virtual GuestUsage Stats() = 0;
  virtual void ShutdownGuest() = 0;  // agent Shutdown: the guest powers off

  // A bound stdio stream of a created process (between CreateProcess and StartProcess).
  virtual UniqueFd OpenStream(const std::string& id, GuestStream stream) = 0;

  // Freezes the whole VM (every vCPU and device thread of the VMM process stops) until
  // ResumeVm(). Throws strato::Error when the VMM cannot be signalled.
  virtual void PauseVm() = 0;
  virtual void ResumeVm() = 0;

  virtual int vmm_pid() const = 0;
  // Blocks until the VMM exits; its exit code. Called once, from one thread.
  virtual int WaitVmmExit() = 0;
  // SIGKILL, idempotent; does not reap (WaitVmmExit, blocked on another thread, does).
  virtual void KillVmm() = 0;
};

struct GuestVmLaunch {
  std::string id;
  guest::GuestConfig config;              // layers filled
  std::vector<std::string> layer_images;  // bottom to top, as config.layers
  uint32_t cpus = 1;
  uint64_t memory_mib = 256;
  std::string state_dir;
  std::string kernel_path;  // empty: the default kernel
  std::string vmm_binary;   // empty: strato-vmm beside the shim, else PATH
  std::chrono::seconds boot_timeout{300};
  // Called while the boot waits for the agent; throws to abandon the boot (shim shutdown).
  std::function<void()> check_cancel;
};

// Boots a VM and waits for its agent; throws strato::Error (with the console log's tail).
using GuestVmBooter = std::function<std::unique_ptr<GuestVm>(const GuestVmLaunch&)>;

}  // namespace strato::shim
