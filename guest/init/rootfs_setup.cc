#include "guest/init/rootfs_setup.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "guest/init/fs_ops.h"

namespace strato::guest {

namespace {
constexpr const char* kLayersDir = "l";
constexpr const char* kUpperFsDir = "u";
constexpr const char* kRootDir = "root";
}  // namespace

std::string OverlayMountData(size_t layer_count) {
  // overlayfs lists lower layers top first.
  std::string lower;
  for (size_t i = layer_count; i-- > 0;) {
    if (!lower.empty()) lower += ':';
    lower += std::string(kLayersDir) + "/" + std::to_string(i);
  }
  return "lowerdir=" + lower + ",upperdir=" + kUpperFsDir + "/upper,workdir=" + kUpperFsDir +
         "/work";
}

std::string MountContainerRootfs(const RootfsLayout& layout, const std::string& work_dir) {
  if (layout.layer_devices.empty()) throw Error("no layers to mount");
  if (::chdir(work_dir.c_str()) != 0) ThrowErrno("chdir " + work_dir);
  MkdirAll(kLayersDir);
  for (size_t i = 0; i < layout.layer_devices.size(); ++i) {
    std::string dir = std::string(kLayersDir) + "/" + std::to_string(i);
    MkdirAll(dir);
    try {
      MountOrThrow(layout.layer_devices[i], dir, "erofs", MS_RDONLY, "");
    } catch (const Error& e) {
      throw Error("layer " + std::to_string(i) + ": " + e.what());
    }
  }
  MkdirAll(kUpperFsDir);
  if (layout.scratch_device) {
    MountOrThrow(*layout.scratch_device, kUpperFsDir, "ext4", 0, "");
  } else {
    MountOrThrow("tmpfs", kUpperFsDir, "tmpfs", 0,
                 "mode=0755,size=" + std::to_string(layout.tmpfs_size_bytes));
  }
  MkdirAll(std::string(kUpperFsDir) + "/upper");
  MkdirAll(std::string(kUpperFsDir) + "/work");
  MkdirAll(kRootDir);
  MountOrThrow("overlay", kRootDir, "overlay", 0, OverlayMountData(layout.layer_devices.size()));
  return work_dir + "/" + kRootDir;
}

}  // namespace strato::guest
