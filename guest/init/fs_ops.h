#pragma once
// Thin, throwing wrappers over the mount and file system calls strato-init makes. Each failure
// becomes strato::Error naming the call, the path and errno's text. Each wrapper makes as few
// system calls as it can: a guest system call costs ~0.45 ms on nested KVM.

#include <sys/types.h>

#include <string>

namespace strato::guest {

void MountOrThrow(const std::string& source, const std::string& target, const std::string& type,
                  unsigned long flags, const std::string& data);

// mkdir -p: tries the full path first, walks up only when a parent is missing.
void MkdirAll(const std::string& path, mode_t mode = 0755);

// Makes `path` exist as a mount point for a file bind mount (an empty file; parents created).
void EnsureFile(const std::string& path, mode_t mode = 0644);

// Writes `contents` to a new file at `path` (O_EXCL) with `mode`.
void WriteNewFile(const std::string& path, const std::string& contents, mode_t mode);

}  // namespace strato::guest
