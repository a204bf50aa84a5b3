#include "guest/init/init_main.h"

#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/file_util.h"
#include "guest/agent/agent_ports.h"
#include "guest/agent/agent_server.h"
#include "guest/agent/vsock_listener.h"
#include "guest/config/guest_config.h"
#include "guest/init/console_log.h"
#include "guest/init/container_runner.h"
#include "guest/init/disk_discovery.h"
#include "guest/init/fs_ops.h"
#include "guest/init/process_launch.h"
#include "guest/init/root_switch.h"

namespace strato::guest {

namespace {

constexpr const char* kVmStagingDir = "/strato-stage";
constexpr useconds_t kPowerOffGraceMicros = 100'000;

// PID 1 only: the kernel file systems the init itself needs (disk serials in sysfs, device
// nodes in devtmpfs; the container gets its own /proc, /sys, /dev from the spec).
void MountKernelFilesystems() {
  MkdirAll("/dev");
  MountOrThrow("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
  MkdirAll("/proc");
  MountOrThrow("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
  MkdirAll("/sys");
  MountOrThrow("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "");
}

// Test mode refuses to run anywhere but as PID 1 of a fresh PID namespace, which the test
// harness creates together with a fresh mount namespace (one unshare call): its mounts must
// vanish with the test's namespaces, never touch the host's.
void CheckFreshNamespaces() {
  if (::getpid() != 1) {
    throw Error(
        "test mode must run as PID 1 of fresh namespaces "
        "(unshare CLONE_NEWNS|CLONE_NEWPID, then fork)");
  }
}

// In the VM the host drives the container's processes through the agent (docs/guest-init.md):
// it creates and starts the container process (id "") and any exec. Returns the container
// process's exit status once the agent's work is done.
int ServeAgentInVm(const GuestConfig& config) {
  // Still single-threaded here: the mask set now is inherited by every agent thread.
  sigset_t child_mask = agent::PrepareAgentSignals();
  agent::AgentOptions agent_options;
  agent_options.container_spec = &config.spec;
  agent_options.require_same_user = false;  // vsock peers have no credentials
  UniqueFd agent_listener = agent::ListenVsock(agent::kAgentPort);
  UniqueFd stdio_listener = agent::ListenVsock(agent::kStdioPort);
  LogInfo("agent listening on vsock port " + std::to_string(agent::kAgentPort));
  agent::AgentResult result = agent::ServeAgent(
      agent_options, child_mask, std::move(agent_listener), std::move(stdio_listener));
  if (result.shutdown_requested) LogInfo("agent: shutdown requested by the host");
  return result.container_exit_status.value_or(kExitLaunchFailed);
}

int Run(const InitOptions& options, const GuestConfig& config) {
  RootfsLayout layout;
  layout.tmpfs_size_bytes = config.upper.tmpfs_size_bytes;
  std::string work_dir;
  if (options.test_mode) {
    CheckFreshNamespaces();
    MakeMountsPrivate();
    work_dir = options.staging_dir;
    MountOrThrow("tmpfs", work_dir, "tmpfs", 0, "mode=0755");
    layout.layer_devices = options.layer_devices;
    layout.scratch_device = options.scratch_device;
  } else {
    EnterStagingRoot(options.staging_dir.empty() ? kVmStagingDir : options.staging_dir);
    MakeMountsPrivate();
    MountKernelFilesystems();
    work_dir = "/";
    auto serials = ScanVirtioDiskSerials("/sys/block");
    layout.layer_devices = ResolveLayerDevices(config.layers, serials);
    if (config.upper.scratch_disk_serial) {
      auto it = serials.find(*config.upper.scratch_disk_serial);
      if (it != serials.end()) {
        layout.scratch_device = it->second;
      } else {
        LogWarning("scratch disk " + *config.upper.scratch_disk_serial +
                   " not attached; the upper directory is a tmpfs");
      }
    }
  }
  if (options.test_mode) return RunContainer(config, layout, work_dir);
  SetupContainer(config, layout, work_dir);
  return ServeAgentInVm(config);
}

}  // namespace

int InitMain(const InitOptions& options) {
  SetLogFd(options.log_fd);
  // Device nodes and copied files get exactly the modes asked for.
  ::umask(0);
  int status = kExitLaunchFailed;
  try {
    std::string path = options.config_path.empty() ? kGuestConfigPath : options.config_path;
    GuestConfig config = ParseGuestConfig(ReadFile(path, kMaxConfigBytes));
    status = Run(options, config);
  } catch (const std::exception& e) {
    LogError(e.what());
  }
  ReportExitStatus(status);
  if (!options.test_mode) {
    // The agent's last answers are in the vsock socket buffers; the virtio-vsock driver sends
    // them from a work queue. Give it a moment before the device goes away.
    ::usleep(kPowerOffGraceMicros);
    ::sync();
    // Linux without ACPI prints "reboot: Power down" and halts; the VMM stops the VM with
    // reason "poweroff" (docs/vmm.md).
    ::reboot(RB_POWER_OFF);
    LogError("reboot(RB_POWER_OFF) failed");
  }
  return status;
}

}  // namespace strato::guest
