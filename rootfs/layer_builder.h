#pragma once
// Applies one layer's entries to an FsTree with the OCI changeset rules (image-spec layer.md):
// entries are added in archive order; a directory over a directory merges attributes (the later
// entry wins); anything else replaces what was at that path; missing parents are created (0755);
// whiteouts become their overlayfs form (rootfs/whiteout.h). Paths arrive normalised
// (rootfs/tar/tar_path.h); `what` names the entry in error messages.

#include <set>
#include <string>
#include <vector>

#include "rootfs/fs_tree.h"
#include "rootfs/whiteout.h"

namespace strato::rootfs {

class LayerBuilder {
 public:
  LayerBuilder(FsTree& tree, OverlayXattrNamespace ns) : tree_(tree), ns_(ns) {}

  // Places `inode` at `path` (whiteout names are not allowed here: use ApplyWhiteoutName first).
  // Returns the id now at that path (the existing directory when attributes were merged).
  InodeId Place(const std::vector<std::string>& path, Inode inode, const std::string& what);

  // A hardlink: `path` becomes another name of the inode at `target` (which must exist in this
  // layer and not be a directory).
  void Link(const std::vector<std::string>& path, const std::vector<std::string>& target,
            const std::string& what);

  // If the last component of `path` is a whiteout name, applies it (whiteout device, opaque
  // xattr, or skip for aufs metadata) and returns true; otherwise returns false.
  bool ApplyWhiteoutName(const std::vector<std::string>& path, const std::string& what);

  // Number of whiteouts and opaque markers applied.
  uint64_t whiteouts() const { return whiteouts_; }

 private:
  // Walks to the directory holding path's last component, creating missing directories; throws
  // when a component exists and is not a directory (the entry would climb through a symlink or
  // file).
  InodeId ParentDir(const std::vector<std::string>& path, size_t depth, const std::string& what);
  InodeId ImplicitDir();
  bool IsWhiteoutDevice(InodeId id) const { return whiteout_ids_.count(id) != 0; }

  FsTree& tree_;
  OverlayXattrNamespace ns_;
  std::set<InodeId> whiteout_ids_;
  uint64_t whiteouts_ = 0;
};

}  // namespace strato::rootfs
