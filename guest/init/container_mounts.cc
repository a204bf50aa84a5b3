#include "guest/init/container_mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.h"
#include "guest/init/console_log.h"
#include "guest/init/fs_ops.h"
#include "guest/init/mount_options.h"

namespace strato::guest {

namespace {

struct DefaultDevice {
  const char* path;
  unsigned major;
  unsigned minor;
};

// Documentation/admin-guide/devices.txt: char 1 = memory devices, char 5 = tty.
constexpr DefaultDevice kDefaultDevices[] = {
    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
};
constexpr mode_t kDefaultDeviceMode = 0666;

struct DefaultLink {
  const char* path;
  const char* target;
};
constexpr DefaultLink kDefaultLinks[] = {
    {"/dev/fd", "/proc/self/fd"},       {"/dev/stdin", "/proc/self/fd/0"},
    {"/dev/stdout", "/proc/self/fd/1"}, {"/dev/stderr", "/proc/self/fd/2"},
    {"/dev/ptmx", "pts/ptmx"},          {"/dev/core", "/proc/kcore"},
};

bool IsBindMount(const oci::Mount& m) {
  if (m.type == "bind") return true;
  return std::any_of(m.options.begin(), m.options.end(),
                     [](const std::string& o) { return o == "bind" || o == "rbind"; });
}

void MakeDeviceNode(const std::string& path, mode_t type_bits, mode_t mode, unsigned major,
                    unsigned minor) {
  if (::mknod(path.c_str(), type_bits | (mode & 07777), makedev(major, minor)) != 0 &&
      errno != EEXIST) {
    if (errno == ENOENT) {
      size_t slash = path.find_last_of('/');
      MkdirAll(path.substr(0, slash));
      if (::mknod(path.c_str(), type_bits | (mode & 07777), makedev(major, minor)) == 0) return;
    }
    ThrowErrno("mknod " + path);
  }
}

}  // namespace

MountAction ClassifyMount(const oci::Mount& mount, const std::set<std::string>& copied_paths) {
  if (!IsBindMount(mount)) return MountAction::kMount;
  if (copied_paths.count(mount.destination)) return MountAction::kCopiedFile;
  return MountAction::kSkipHostBind;
}

std::string GuestMountType(const std::string& oci_type) {
  return oci_type == "cgroup" ? "cgroup2" : oci_type;
}

void ApplySpecMounts(const std::vector<oci::Mount>& mounts,
                     const std::set<std::string>& copied_paths) {
  for (const oci::Mount& m : mounts) {
    switch (ClassifyMount(m, copied_paths)) {
      case MountAction::kCopiedFile:
        continue;  // AttachCopiedFiles binds the copy there
      case MountAction::kSkipHostBind:
        LogWarning("skipping bind mount of host path " + m.source + " on " + m.destination +
                   ": host paths do not exist in the VM");
        continue;
      case MountAction::kMount:
        break;
    }
    MountOptions options = ParseMountOptions(m.options);
    std::string type = GuestMountType(m.type);
    MkdirAll(m.destination);
    MountOrThrow(m.source.empty() ? type : m.source, m.destination, type, options.flags,
                 options.data);
    if (options.propagation != 0) MountOrThrow("", m.destination, "", options.propagation, "");
  }
}

void CreateDevices(const std::vector<oci::Device>& spec_devices) {
  for (const DefaultDevice& d : kDefaultDevices) {
    MakeDeviceNode(d.path, S_IFCHR, kDefaultDeviceMode, d.major, d.minor);
  }
  for (const DefaultLink& l : kDefaultLinks) {
    if (::symlink(l.target, l.path) != 0 && errno != EEXIST)
      ThrowErrno(std::string("symlink ") + l.path);
  }
  for (const oci::Device& d : spec_devices) {
    mode_t type_bits = d.type == "b" ? S_IFBLK : d.type == "p" ? S_IFIFO : S_IFCHR;
    MakeDeviceNode(d.path, type_bits, d.file_mode.value_or(kDefaultDeviceMode),
                   static_cast<unsigned>(d.major), static_cast<unsigned>(d.minor));
    if (d.uid || d.gid) {
      if (::chown(d.path.c_str(), d.uid ? *d.uid : -1, d.gid ? *d.gid : -1) != 0) {
        ThrowErrno("chown " + d.path);
      }
    }
  }
}

void MaskPaths(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;
      ThrowErrno("stat masked path " + p);
    }
    if (S_ISDIR(st.st_mode)) {
      MountOrThrow("tmpfs", p, "tmpfs", MS_RDONLY, "");
    } else {
      MountOrThrow("/dev/null", p, "", MS_BIND, "");
    }
  }
}

void MakePathsReadonly(const std::vector<std::string>& paths) {
  for (const std::string& p : paths) {
    if (::mount(p.c_str(), p.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
      if (errno == ENOENT) continue;
      ThrowErrno("bind readonly path " + p);
    }
    MountOrThrow("", p, "", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
  }
}

}  // namespace strato::guest
