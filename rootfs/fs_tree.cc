#include "rootfs/fs_tree.h"

#include <algorithm>

namespace strato::rootfs {

namespace {
constexpr uint32_t kDefaultDirMode = 0755;
}

void Inode::SetXattr(const std::string& name, std::string value) {
  auto it = std::lower_bound(xattrs.begin(), xattrs.end(), name,
                             [](const auto& x, const std::string& n) { return x.first < n; });
  if (it != xattrs.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    xattrs.insert(it, {name, std::move(value)});
  }
}

void Inode::RemoveXattr(const std::string& name) {
  std::erase_if(xattrs, [&](const auto& x) { return x.first == name; });
}

FsTree::FsTree() {
  Inode root;
  root.kind = FileKind::kDirectory;
  root.mode = kDefaultDirMode;
  inodes_.push_back(std::move(root));
}

InodeId FsTree::Add(Inode inode) {
  inodes_.push_back(std::move(inode));
  return static_cast<InodeId>(inodes_.size() - 1);
}

std::optional<InodeId> FsTree::Child(InodeId dir, const std::string& name) const {
  const auto& children = inodes_[dir].children;
  auto it = children.find(name);
  if (it == children.end()) return std::nullopt;
  return it->second;
}

}  // namespace strato::rootfs
