#pragma once
// Changing the root: the PID-1-only step that leaves the initramfs, pivot_root into the container
// root, and the final read-only remount of "/".

#include <string>

namespace strato::guest {

// mount --make-rprivate /: nothing the init mounts propagates anywhere (and pivot_root requires
// that the old root is not shared).
void MakeMountsPrivate();

// PID 1 in the VM only. The initramfs root ("rootfs") can never be pivot_root'ed away (it has no
// parent mount), so the init first moves a fresh tmpfs mounted at `dir` over "/" and chroots
// into it, as switch_root does; afterwards "/" is a real mount and pivot_root works. The
// initramfs files stay underneath, unreachable; the init already holds what it needs.
void EnterStagingRoot(const std::string& dir);

// pivot_root into `new_root` with the old root stacked on it, then detach the old root
// (pivot_root(".", ".") as runc does: no put_old directory needed in a possibly read-only image).
// Afterwards the working directory is "/".
void PivotRoot(const std::string& new_root);

// Remounts "/" read-only (root.readonly in the spec).
void MakeRootReadonly();

}  // namespace strato::guest
