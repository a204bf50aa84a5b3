#include "rootfs/dir_source.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/erofs/xattr_layout.h"
#include "rootfs/tar/tar_path.h"

namespace strato::rootfs {

namespace {

constexpr size_t kReadChunk = 1 << 20;
constexpr uint32_t kPermissionMask = 07777;

std::vector<std::pair<std::string, std::string>> ReadXattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t len = ::llistxattr(path.c_str(), nullptr, 0);
  if (len < 0) {
    if (errno == ENOTSUP) return out;
    ThrowErrno("list xattrs of " + path);
  }
  std::string names(static_cast<size_t>(len), '\0');
  len = ::llistxattr(path.c_str(), names.data(), names.size());
  if (len < 0) ThrowErrno("list xattrs of " + path);
  names.resize(static_cast<size_t>(len));
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty()) continue;
    ssize_t vlen = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vlen < 0) ThrowErrno("read xattr " + name + " of " + path);
    std::string value(static_cast<size_t>(vlen), '\0');
    vlen = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vlen < 0) ThrowErrno("read xattr " + name + " of " + path);
    value.resize(static_cast<size_t>(vlen));
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

std::vector<std::string> SortedNames(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) ThrowErrno("open directory " + dir);
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  int err = errno;
  ::closedir(d);
  if (err != 0) ThrowErrno("read directory " + dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

class DirectoryWalker {
 public:
  DirectoryWalker(FsTree& tree, erofs::FileDataWriter& data, SourceCounters* counters,
                  const std::function<void()>& on_entry)
      : tree_(tree), data_(data), counters_(counters), on_entry_(on_entry), buf_(kReadChunk) {}

  void Run(const std::string& root) {
    struct stat st {};
    if (::lstat(root.c_str(), &st) != 0) ThrowErrno("stat " + root);
    if (!S_ISDIR(st.st_mode)) throw Error(root + ": not a directory");
    Inode& r = tree_.at(tree_.root());
    FillMeta(root, st, &r);
    std::vector<std::pair<std::string, InodeId>> stack{{root, tree_.root()}};
    while (!stack.empty()) {
      auto [dir, id] = std::move(stack.back());
      stack.pop_back();
      for (const std::string& name : SortedNames(dir)) {
        if (name.size() > kMaxNameComponent) throw Error(dir + "/" + name + ": name too long");
        std::string path = dir + "/" + name;
        std::optional<InodeId> child = AddEntry(path);
        ++counters_->entries;
        if (child) {
          tree_.at(id).children.emplace(name, *child);
          if (tree_.at(*child).kind == FileKind::kDirectory) stack.emplace_back(path, *child);
        }
        if (on_entry_) on_entry_();
      }
    }
  }

 private:
  void FillMeta(const std::string& path, const struct stat& st, Inode* n) {
    n->mode = st.st_mode & kPermissionMask;
    n->uid = st.st_uid;
    n->gid = st.st_gid;
    n->mtime_sec = st.st_mtim.tv_sec;
    n->mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
    try {
      // Host directories are trusted: overlay xattrs (opaque, origin) are kept as they are.
      n->xattrs = FilterLayerXattrs(ReadXattrs(path), true, counters_);
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
  }

  std::optional<InodeId> AddEntry(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) ThrowErrno("stat " + path);
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto it = links_.find({st.st_dev, st.st_ino});
      if (it != links_.end()) {
        ++counters_->hardlinks;
        return it->second;
      }
    }
    Inode n;
    FillMeta(path, st, &n);
    switch (st.st_mode & S_IFMT) {
      case S_IFDIR:
        n.kind = FileKind::kDirectory;
        break;
      case S_IFREG:
        n.kind = FileKind::kRegular;
        n.size = static_cast<uint64_t>(st.st_size);
        n.data = CopyFile(path, n.size, erofs::XattrIbodySize(n.xattrs));
        counters_->data_bytes += n.size;
        break;
      case S_IFLNK: {
        n.kind = FileKind::kSymlink;
        std::string target(kMaxPathLength + 1, '\0');
        ssize_t len = ::readlink(path.c_str(), target.data(), target.size());
        if (len < 0) ThrowErrno("readlink " + path);
        if (len == 0 || static_cast<size_t>(len) > kMaxPathLength) {
          throw Error(path + ": symlink target empty or too long");
        }
        target.resize(static_cast<size_t>(len));
        n.symlink_target = std::move(target);
        break;
      }
      case S_IFCHR:
      case S_IFBLK:
        n.kind = S_ISCHR(st.st_mode) ? FileKind::kCharDevice : FileKind::kBlockDevice;
        n.rdev_major = major(st.st_rdev);
        n.rdev_minor = minor(st.st_rdev);
        break;
      case S_IFIFO:
        n.kind = FileKind::kFifo;
        break;
      case S_IFSOCK:
        n.kind = FileKind::kSocket;
        break;
      default:
        throw Error(path + ": unsupported file type");
    }
    InodeId id = tree_.Add(std::move(n));
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) links_[{st.st_dev, st.st_ino}] = id;
    return id;
  }

  FileData CopyFile(const std::string& path, uint64_t size, size_t xattr_size) {
    UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    data_.Begin(size, erofs::TailCanBeInline(size, xattr_size));
    uint64_t left = size;
    while (left > 0) {
      ssize_t n =
          ::read(fd.get(), buf_.data(), static_cast<size_t>(std::min<uint64_t>(left, buf_.size())));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) ThrowErrno("read " + path);
      if (n == 0) throw Error(path + ": file shrank while being read");
      data_.Append({buf_.data(), static_cast<size_t>(n)});
      left -= static_cast<uint64_t>(n);
    }
    return data_.End();
  }

  FsTree& tree_;
  erofs::FileDataWriter& data_;
  SourceCounters* counters_;
  const std::function<void()>& on_entry_;
  std::vector<uint8_t> buf_;
  std::map<std::pair<dev_t, ino_t>, InodeId> links_;
};

}  // namespace

void AddDirectoryLayer(const std::string& root, FsTree& tree, erofs::FileDataWriter& data,
                       SourceCounters* counters, const std::function<void()>& on_entry) {
  DirectoryWalker walker(tree, data, counters, on_entry);
  walker.Run(root);
}

}  // namespace strato::rootfs
