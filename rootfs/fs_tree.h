#pragma once
// The in-memory tree of one layer image: inodes (metadata only, never file contents) and
// directory entries. Both layer sources (tar, host directory) fill it; the EROFS writer lays it
// out. File data lives in the output image already; an inode only records where.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strato::rootfs {

using InodeId = uint32_t;

enum class FileKind : uint8_t {
  kRegular,
  kDirectory,
  kSymlink,
  kCharDevice,
  kBlockDevice,
  kFifo,
  kSocket
};

// Where a regular file's bytes are: full blocks from `blkaddr` in the image, and a tail of
// `tail_size` bytes either right after them (zero-padded block) or in the scratch file, to be
// packed inline after the inode.
struct FileData {
  uint32_t blkaddr = 0;
  uint32_t tail_size = 0;
  bool tail_in_scratch = false;
  uint64_t scratch_offset = 0;
};

struct Inode {
  FileKind kind = FileKind::kRegular;
  uint32_t mode = 0;  // permission and set-id bits (07777); the type comes from `kind`
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;  // regular files
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::string symlink_target;
  std::vector<std::pair<std::string, std::string>> xattrs;  // sorted by name, unique
  FileData data;
  std::map<std::string, InodeId> children;  // directories; std::string order is memcmp order

  void SetXattr(const std::string& name, std::string value);
  void RemoveXattr(const std::string& name);
};

class FsTree {
 public:
  FsTree();  // just a root directory, 0755 root:root, mtime 0

  InodeId root() const { return 0; }
  Inode& at(InodeId id) { return inodes_[id]; }
  const Inode& at(InodeId id) const { return inodes_[id]; }
  InodeId Add(Inode inode);
  size_t size() const { return inodes_.size(); }

  std::optional<InodeId> Child(InodeId dir, const std::string& name) const;

 private:
  std::deque<Inode> inodes_;
};

}  // namespace strato::rootfs
