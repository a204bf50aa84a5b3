#pragma once
// strato-init's top level. In the VM (PID 1) it mounts devtmpfs, proc and sysfs, leaves the
// initramfs for a staging tmpfs, finds the layer disks by serial, sets the container up, then
// serves the guest agent on vsock (the host creates and starts the container's processes; see
// guest/agent/agent_server.h). When the agent's work is done it prints
// "strato-init: exit-status <n>" (the container process's status) and powers the VM off.
// In test mode (host tests, PID 1 of fresh namespaces) exactly these PID-1-only steps are
// replaced: the layer devices come from the options (loop devices have no serial), the staging
// tmpfs is mounted on a given directory, RunContainer starts spec.process itself instead of the
// agent, and it returns the exit status instead of powering off.

#include <optional>
#include <string>
#include <vector>

namespace strato::guest {

struct InitOptions {
  bool test_mode = false;
  std::string config_path;  // default: kGuestConfigPath
  std::string staging_dir;  // VM: /strato-stage; test mode: an empty directory
  int log_fd = 2;           // the console in the VM
  // Test mode only: the layer devices (bottom to top) and the scratch disk, if any.
  std::vector<std::string> layer_devices;
  std::optional<std::string> scratch_device;
};

// Returns the container's exit status (kExitLaunchFailed = 125 when setup failed). In the VM it
// does not return: it powers off.
int InitMain(const InitOptions& options);

}  // namespace strato::guest
