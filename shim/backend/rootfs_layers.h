#pragma once
// Turns the rootfs containerd hands to Create into the read-only layer images the VM attaches,
// bottom to top. Two steps, so the first (pure) can be tested without converting anything:
//
//   PlanRootfsLayers: what each layer comes from
//     - overlay mount (containerd's overlayfs snapshotter): every `lowerdir` directory, bottom
//       first (overlayfs lists the top layer first), then the `upperdir` if it already holds
//       something (a committed-then-reused snapshot, or a container restarted on the same one);
//     - `erofs` mount: the image file itself, attached as it is;
//     - bind mount (native snapshotter, `ctr run --rootfs`): the source directory;
//     - no mounts: the bundle's root.path (relative to the bundle), else <bundle>/rootfs.
//   MaterializeRootfsLayers: directories -> EROFS images through rootfs::LayerCache (keyed by
//     the directory's identity, so an unchanged snapshot converts once); images pass through.
//
// The container's writes go to the guest's own upper layer (tmpfs or scratch disk), not back to
// the host snapshot.

#include <string>
#include <vector>

#include "rootfs/layer_cache.h"
#include "shim/sandbox.h"

namespace strato::shim {

struct RootfsLayerSource {
  enum class Kind { kDirectory, kErofsImage };
  Kind kind = Kind::kDirectory;
  std::string path;
  // The overlay mount used `userxattr`: whiteout and opaque markers are user.overlay.*.
  bool user_xattrs = false;

  bool operator==(const RootfsLayerSource&) const = default;
};

struct RootfsLayerImage {
  std::string path;  // EROFS image to attach read-only
  // "sha256:<hex>" naming the layer for the disk serial and logs: the cache key's hash for a
  // converted directory, the hash of the image's path for an image attached as it is.
  std::string digest;
};

// Throws strato::Error naming the mount and the problem (unknown type, relative path, an
// overlay without lowerdir, more than one rootfs mount of a kind that cannot be stacked...).
std::vector<RootfsLayerSource> PlanRootfsLayers(const std::vector<RootfsMount>& mounts,
                                                const std::string& bundle,
                                                const std::string& spec_root_path);

std::vector<RootfsLayerImage> MaterializeRootfsLayers(const std::vector<RootfsLayerSource>& plan,
                                                      rootfs::LayerCache& cache);

}  // namespace strato::shim
