#include "guest/init/fs_ops.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"
#include "common/file_util.h"
#include "guest/init/console_log.h"

namespace strato::guest {

void MountOrThrow(const std::string& source, const std::string& target, const std::string& type,
                  unsigned long flags, const std::string& data) {
  if (::mount(source.c_str(), target.c_str(), type.empty() ? nullptr : type.c_str(), flags,
              data.empty() ? nullptr : data.c_str()) != 0) {
    std::string what = "mount " + (type.empty() ? std::string("(flags)") : type) + " " +
                       (source.empty() ? "none" : source) + " on " + target;
    if (!data.empty()) what += " (" + data + ")";
    ThrowErrno(what);
  }
}

void MkdirAll(const std::string& path, mode_t mode) {
  if (path.empty() || path == "/") return;
  if (::mkdir(path.c_str(), mode) == 0 || errno == EEXIST) return;
  if (errno != ENOENT) ThrowErrno("mkdir " + path);
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) MkdirAll(path.substr(0, slash), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) ThrowErrno("mkdir " + path);
}

void EnsureFile(const std::string& path, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, mode);
  if (fd < 0 && errno == ENOENT) {
    size_t slash = path.find_last_of('/');
    if (slash != std::string::npos && slash > 0) MkdirAll(path.substr(0, slash));
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY, mode);
  }
  // EISDIR: a directory is there; the bind mount that follows reports the mismatch.
  if (fd < 0 && errno != EISDIR) ThrowErrno("create mount point " + path);
  if (fd >= 0) ::close(fd);
}

void WriteNewFile(const std::string& path, const std::string& contents, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) ThrowErrno("create " + path);
  if (!WriteAll(fd.get(), contents)) ThrowErrno("write " + path);
}

}  // namespace strato::guest
