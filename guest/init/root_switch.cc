#include "guest/init/root_switch.h"

#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/error.h"
#include "guest/init/fs_ops.h"

namespace strato::guest {

void MakeMountsPrivate() {
  MountOrThrow("", "/", "", MS_REC | MS_PRIVATE, "");
}

void EnterStagingRoot(const std::string& dir) {
  MkdirAll(dir);
  MountOrThrow("tmpfs", dir, "tmpfs", 0, "mode=0755");
  if (::chdir(dir.c_str()) != 0) ThrowErrno("chdir " + dir);
  MountOrThrow(".", "/", "", MS_MOVE, "");
  if (::chroot(".") != 0) ThrowErrno("chroot into the staging tmpfs");
  if (::chdir("/") != 0) ThrowErrno("chdir / in the staging tmpfs");
}

void PivotRoot(const std::string& new_root) {
  if (::chdir(new_root.c_str()) != 0) ThrowErrno("chdir " + new_root);
  // glibc has no pivot_root wrapper.
  if (::syscall(SYS_pivot_root, ".", ".") != 0) ThrowErrno("pivot_root " + new_root);
  // The old root now sits on top of "."; keep its unmount from reaching anything else, then
  // detach it (lazily: the init's own open fds, e.g. the console, may still point into it).
  MountOrThrow("", ".", "", MS_SLAVE | MS_REC, "");
  if (::umount2(".", MNT_DETACH) != 0) ThrowErrno("detach the old root");
  if (::chdir("/") != 0) ThrowErrno("chdir /");
}

void MakeRootReadonly() {
  MountOrThrow("", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY, "");
}

}  // namespace strato::guest
