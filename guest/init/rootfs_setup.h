#pragma once
// The container's root file system: each EROFS layer mounted read-only, a writable upper (tmpfs
// or an ext4 scratch disk), and overlayfs stacking them. Everything lives under one working
// directory: <work>/l/<i> (layer i, 0 = bottom), <work>/u (upper fs with upper/ and work/),
// <work>/root (the overlay, the container's root before pivot_root).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strato::guest {

struct RootfsLayout {
  std::vector<std::string> layer_devices;     // bottom to top
  std::optional<std::string> scratch_device;  // ext4 upper; tmpfs when absent
  uint64_t tmpfs_size_bytes = 0;
};

// overlayfs mount data for `layer_count` layers, with paths relative to the working directory
// (so the string stays short: overlayfs takes at most one page of options):
// "lowerdir=l/2:l/1:l/0,upperdir=u/upper,workdir=u/work". Pure.
std::string OverlayMountData(size_t layer_count);

// Mounts everything under `work_dir` (which must exist) and returns "<work_dir>/root". Changes
// the working directory to `work_dir`.
std::string MountContainerRootfs(const RootfsLayout& layout, const std::string& work_dir);

}  // namespace strato::guest
