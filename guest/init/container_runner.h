#pragma once
// One container from a validated guest config: the "setup" steps (rootfs, hostname, pivot_root,
// mounts), then "process launch", then the "supervisor" until the main process exits. The same
// code runs as PID 1 in the VM and, in host tests, as PID 1 of fresh namespaces.

#include <string>

#include "guest/config/guest_config.h"
#include "guest/init/rootfs_setup.h"

namespace strato::guest {

// The setup steps alone: builds the root under `work_dir` (a private tmpfs the caller mounted),
// sets the hostname, pivots into the root and applies the spec's mounts, devices, sysctls and
// masked/readonly paths. Afterwards the caller runs in the container's root (the agent then
// starts processes there). Throws strato::Error naming the step that failed.
void SetupContainer(const GuestConfig& config, const RootfsLayout& layout,
                    const std::string& work_dir);

// Builds the root under `work_dir` (a private tmpfs the caller mounted), pivots into it, starts
// config.spec.process and supervises it. Returns its exit status. Throws strato::Error for setup
// failures (before the process starts).
int RunContainer(const GuestConfig& config, const RootfsLayout& layout,
                 const std::string& work_dir);

}  // namespace strato::guest
