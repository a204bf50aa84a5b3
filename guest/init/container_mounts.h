#pragma once
// Inside the container root (after pivot_root, so every destination resolves within it): the OCI
// mounts in order, the default device nodes, maskedPaths and readonlyPaths.

#include <set>
#include <string>
#include <vector>

#include "oci/runtime_spec.h"

namespace strato::guest {

// What happens to one OCI mount in the VM (pure; unit tested).
enum class MountAction {
  kMount,         // mount(2) it (proc, sysfs, tmpfs, devpts, mqueue, cgroup2...)
  kCopiedFile,    // a bind of a file the config copies in: that copy is attached instead
  kSkipHostBind,  // a bind of a host path: host paths do not exist in the VM; warned, skipped
};
MountAction ClassifyMount(const oci::Mount& mount, const std::set<std::string>& copied_paths);

// The file system type to mount: "cgroup" (v1) becomes "cgroup2" (the guest kernel has only the
// unified hierarchy); other types pass through.
std::string GuestMountType(const std::string& oci_type);

// Applies the spec's mounts in order (creating destinations), with warnings for skipped ones.
void ApplySpecMounts(const std::vector<oci::Mount>& mounts,
                     const std::set<std::string>& copied_paths);

// The OCI default devices (config-linux.md "Default Devices": null, zero, full, random, urandom,
// tty, and the /dev/fd, stdin/out/err, ptmx links) plus linux.devices. Existing entries are kept.
void CreateDevices(const std::vector<oci::Device>& spec_devices);

// maskedPaths: /dev/null bound over files, an empty read-only tmpfs over directories; missing
// paths are skipped.
void MaskPaths(const std::vector<std::string>& paths);

// readonlyPaths: bound onto themselves and remounted read-only; missing paths are skipped.
void MakePathsReadonly(const std::vector<std::string>& paths);

}  // namespace strato::guest
