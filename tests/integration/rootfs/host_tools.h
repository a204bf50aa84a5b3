#pragma once
// Host-side helpers for the rootfs integration tests: running commands, temporary directories,
// read-only loop mounts (always undone), and a full snapshot of a directory tree for comparison.

#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>

namespace strato::rootfs::testing {

struct CommandResult {
  int status = -1;
  std::string output;
};

// Runs a shell command, capturing stdout and stderr.
inline CommandResult RunCommand(const std::string& cmd) {
  CommandResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof(buf), p)) > 0;) r.output.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

inline std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Why loop mounts cannot run here, or empty when they can.
inline std::string LoopMountUnavailableReason() {
  if (::geteuid() != 0) return "needs root for loop mounts";
  if (::access("/dev/loop-control", F_OK) != 0) return "no /dev/loop-control";
  if (RunCommand("command -v losetup").status != 0) return "losetup not installed";
  return "";
}

struct TempDir {
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "strato-rootfs-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// Attaches `image` to a loop device read-only and mounts it; undoes both on destruction, even
// when the test failed half way.
class LoopMount {
 public:
  LoopMount(const std::string& image, const std::string& mountpoint,
            const std::string& fstype = "erofs")
      : mountpoint_(mountpoint) {
    std::filesystem::create_directories(mountpoint);
    CommandResult dev = RunCommand("losetup --find --show --read-only " + Quote(image));
    if (dev.status != 0) throw std::runtime_error("losetup failed: " + dev.output);
    device_ = dev.output.substr(0, dev.output.find('\n'));
    CommandResult m =
        RunCommand("mount -t " + fstype + " -o ro " + Quote(device_) + " " + Quote(mountpoint));
    if (m.status != 0) {
      RunCommand("losetup -d " + Quote(device_));
      throw std::runtime_error("mount " + image + " failed: " + m.output);
    }
  }
  ~LoopMount() {
    RunCommand("umount " + Quote(mountpoint_));
    RunCommand("losetup -d " + Quote(device_));
  }
  LoopMount(const LoopMount&) = delete;
  LoopMount& operator=(const LoopMount&) = delete;
  const std::string& device() const { return device_; }

 private:
  std::string mountpoint_;
  std::string device_;
};

// Mounts anything with `mount` arguments (overlay); unmounts on destruction.
class GenericMount {
 public:
  GenericMount(const std::string& args, const std::string& mountpoint) : mountpoint_(mountpoint) {
    std::filesystem::create_directories(mountpoint);
    CommandResult m = RunCommand("mount " + args + " " + Quote(mountpoint));
    if (m.status != 0) throw std::runtime_error("mount " + args + " failed: " + m.output);
  }
  ~GenericMount() { RunCommand("umount " + Quote(mountpoint_)); }
  GenericMount(const GenericMount&) = delete;
  GenericMount& operator=(const GenericMount&) = delete;

 private:
  std::string mountpoint_;
};

// One file as seen through the filesystem.
struct FileState {
  char type = '?';  // f d l c b p s
  uint32_t mode = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;
  uint64_t nlink = 0;
  std::string content;  // regular files
  std::string target;   // symlinks
  uint32_t rdev_major = 0;
  uint32_t rdev_minor = 0;
  std::map<std::string, std::string> xattrs;
};

inline std::map<std::string, std::string> ReadXattrs(const std::string& path) {
  std::map<std::string, std::string> out;
  char names[65536];
  ssize_t len = ::llistxattr(path.c_str(), names, sizeof(names));
  for (ssize_t pos = 0; len > 0 && pos < len;) {
    std::string name(names + pos);
    pos += static_cast<ssize_t>(name.size()) + 1;
    std::string value(65536, '\0');
    ssize_t v = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    value.resize(v < 0 ? 0 : static_cast<size_t>(v));
    out[name] = value;
  }
  return out;
}

inline FileState StatPath(const std::string& path, bool with_xattrs) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) throw std::runtime_error("lstat " + path);
  FileState f;
  f.mode = st.st_mode & 07777;
  f.uid = st.st_uid;
  f.gid = st.st_gid;
  f.mtime = st.st_mtim.tv_sec;
  f.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  f.nlink = st.st_nlink;
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: {
      f.type = 'f';
      f.size = static_cast<uint64_t>(st.st_size);
      FILE* fp = std::fopen(path.c_str(), "rb");
      if (fp == nullptr) throw std::runtime_error("open " + path);
      char buf[65536];
      for (size_t n; (n = std::fread(buf, 1, sizeof(buf), fp)) > 0;) f.content.append(buf, n);
      std::fclose(fp);
      break;
    }
    case S_IFDIR:
      f.type = 'd';
      break;
    case S_IFLNK: {
      f.type = 'l';
      std::string t(8192, '\0');
      ssize_t n = ::readlink(path.c_str(), t.data(), t.size());
      t.resize(n < 0 ? 0 : static_cast<size_t>(n));
      f.target = t;
      f.size = t.size();
      break;
    }
    case S_IFCHR:
    case S_IFBLK:
      f.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
      f.rdev_major = major(st.st_rdev);
      f.rdev_minor = minor(st.st_rdev);
      break;
    case S_IFIFO:
      f.type = 'p';
      break;
    case S_IFSOCK:
      f.type = 's';
      break;
  }
  if (with_xattrs) f.xattrs = ReadXattrs(path);
  return f;
}

// Every path under `root` (relative, without a leading "/"; "" is the root itself).
inline std::map<std::string, FileState> SnapshotTree(const std::string& root, bool with_xattrs) {
  std::map<std::string, FileState> out;
  std::vector<std::string> stack{""};
  while (!stack.empty()) {
    std::string rel = stack.back();
    stack.pop_back();
    std::string abs = rel.empty() ? root : root + "/" + rel;
    FileState st = StatPath(abs, with_xattrs);
    bool is_dir = st.type == 'd';
    out[rel] = std::move(st);
    if (!is_dir) continue;
    DIR* d = ::opendir(abs.c_str());
    if (d == nullptr) throw std::runtime_error("opendir " + abs);
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      stack.push_back(rel.empty() ? name : rel + "/" + name);
    }
    ::closedir(d);
  }
  return out;
}

}  // namespace strato::rootfs::testing
