#include "rootfs/layer_builder.h"

#include "common/error.h"
#include "rootfs/tar/tar_path.h"

namespace strato::rootfs {

namespace {

constexpr uint32_t kImplicitDirMode = 0755;  // OCI: missing parents are created 0755

const char* KindName(FileKind k) {
  switch (k) {
    case FileKind::kRegular:
      return "a regular file";
    case FileKind::kDirectory:
      return "a directory";
    case FileKind::kSymlink:
      return "a symlink";
    case FileKind::kCharDevice:
      return "a character device";
    case FileKind::kBlockDevice:
      return "a block device";
    case FileKind::kFifo:
      return "a fifo";
    case FileKind::kSocket:
      return "a socket";
  }
  return "an unknown file";
}

}  // namespace

InodeId LayerBuilder::ImplicitDir() {
  Inode dir;
  dir.kind = FileKind::kDirectory;
  dir.mode = kImplicitDirMode;
  return tree_.Add(std::move(dir));
}

InodeId LayerBuilder::ParentDir(const std::vector<std::string>& path, size_t depth,
                                const std::string& what) {
  InodeId dir = tree_.root();
  for (size_t i = 0; i < depth; ++i) {
    std::optional<InodeId> child = tree_.Child(dir, path[i]);
    if (!child) {
      InodeId made = ImplicitDir();
      tree_.at(dir).children.emplace(path[i], made);
      dir = made;
      continue;
    }
    if (tree_.at(*child).kind != FileKind::kDirectory) {
      std::vector<std::string> prefix(path.begin(), path.begin() + static_cast<long>(i) + 1);
      throw Error(what + ": parent \"" + JoinPath(prefix) + "\" is " +
                  KindName(tree_.at(*child).kind) + ", not a directory");
    }
    dir = *child;
  }
  return dir;
}

InodeId LayerBuilder::Place(const std::vector<std::string>& path, Inode inode,
                            const std::string& what) {
  if (path.empty()) {
    if (inode.kind != FileKind::kDirectory) {
      throw Error(what + ": replaces the layer root with " + std::string(KindName(inode.kind)));
    }
    Inode& root = tree_.at(tree_.root());
    auto keep_children = std::move(root.children);
    auto keep_xattrs = root.xattrs;
    root = std::move(inode);
    root.children = std::move(keep_children);
    for (auto& [name, value] : keep_xattrs) {
      if (IsOverlayControlXattr(name)) root.SetXattr(name, value);
    }
    return tree_.root();
  }
  InodeId parent = ParentDir(path, path.size() - 1, what);
  const std::string& name = path.back();
  std::optional<InodeId> existing = tree_.Child(parent, name);
  if (existing && tree_.at(*existing).kind == FileKind::kDirectory &&
      inode.kind == FileKind::kDirectory) {
    // Directory over directory: the later attributes win, contents and the overlay xattrs we
    // derived from whiteouts stay.
    Inode& dir = tree_.at(*existing);
    auto keep_children = std::move(dir.children);
    auto keep_xattrs = dir.xattrs;
    dir = std::move(inode);
    dir.children = std::move(keep_children);
    for (auto& [xname, value] : keep_xattrs) {
      if (IsOverlayControlXattr(xname)) dir.SetXattr(xname, value);
    }
    return *existing;
  }
  bool replaces_whiteout = existing && IsWhiteoutDevice(*existing);
  InodeId id = tree_.Add(std::move(inode));
  if (replaces_whiteout && tree_.at(id).kind == FileKind::kDirectory) {
    // The layer removed the lower NAME and created a new directory NAME: nothing of the lower
    // directory may show through.
    tree_.at(id).SetXattr(OverlayOpaqueXattr(ns_), std::string(kOpaqueValue));
  }
  tree_.at(parent).children[name] = id;
  return id;
}

void LayerBuilder::Link(const std::vector<std::string>& path,
                        const std::vector<std::string>& target, const std::string& what) {
  if (target.empty()) throw Error(what + ": hardlink to the layer root");
  InodeId dir = tree_.root();
  for (size_t i = 0; i + 1 < target.size(); ++i) {
    std::optional<InodeId> child = tree_.Child(dir, target[i]);
    if (!child || tree_.at(*child).kind != FileKind::kDirectory) {
      throw Error(what + ": hardlink target \"" + JoinPath(target) +
                  "\" does not exist earlier in the layer");
    }
    dir = *child;
  }
  std::optional<InodeId> id = tree_.Child(dir, target.back());
  if (!id || IsWhiteoutDevice(*id)) {
    throw Error(what + ": hardlink target \"" + JoinPath(target) +
                "\" does not exist earlier in the layer");
  }
  if (tree_.at(*id).kind == FileKind::kDirectory) {
    throw Error(what + ": hardlink target \"" + JoinPath(target) + "\" is a directory");
  }
  if (path.empty()) throw Error(what + ": hardlink replaces the layer root");
  InodeId parent = ParentDir(path, path.size() - 1, what);
  tree_.at(parent).children[path.back()] = *id;
}

bool LayerBuilder::ApplyWhiteoutName(const std::vector<std::string>& path,
                                     const std::string& what) {
  if (path.empty()) return false;
  // Entries inside aufs metadata directories (.wh..wh.plnk/...) are not part of the tree.
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    if (path[i].starts_with(kWhiteoutMetaPrefix)) return true;
  }
  std::string target;
  WhiteoutKind kind = ClassifyWhiteout(path.back(), &target);
  switch (kind) {
    case WhiteoutKind::kNone:
      return false;
    case WhiteoutKind::kMeta:
      return true;
    case WhiteoutKind::kOpaque: {
      // Applies to the directory holding the marker, wherever the marker sits in the archive.
      InodeId dir = ParentDir(path, path.size() - 1, what);
      tree_.at(dir).SetXattr(OverlayOpaqueXattr(ns_), std::string(kOpaqueValue));
      ++whiteouts_;
      return true;
    }
    case WhiteoutKind::kFile:
      break;
  }
  InodeId parent = ParentDir(path, path.size() - 1, what);
  ++whiteouts_;
  if (std::optional<InodeId> existing = tree_.Child(parent, target)) {
    // The layer itself has NAME: the whiteout only removes the lower NAME, which the new entry
    // hides already, except that a new directory must not merge with the lower one.
    Inode& node = tree_.at(*existing);
    if (node.kind == FileKind::kDirectory) {
      node.SetXattr(OverlayOpaqueXattr(ns_), std::string(kOpaqueValue));
    }
    return true;
  }
  Inode whiteout;
  whiteout.kind = FileKind::kCharDevice;  // overlayfs whiteout: character device 0:0
  InodeId id = tree_.Add(std::move(whiteout));
  whiteout_ids_.insert(id);
  tree_.at(parent).children.emplace(target, id);
  tree_.at(parent).SetXattr(OverlayOriginXattr(ns_), "");
  return true;
}

}  // namespace strato::rootfs
