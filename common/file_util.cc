#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/error.h"

namespace strato {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

UniqueFd OpenOrThrow(const std::string& path, int flags, int mode) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) ThrowErrno("open " + path);
  return UniqueFd(fd);
}

size_t PreadFull(int fd, void* buf, size_t len, uint64_t offset, const std::string& what) {
  size_t done = 0;
  while (done < len) {
    ssize_t n =
        ::pread(fd, static_cast<char*>(buf) + done, len - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(what);
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

std::string ReadFile(const std::string& path, size_t max_size) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) ThrowErrno("stat " + path);
  if (S_ISDIR(st.st_mode)) throw Error("read " + path + ": is a directory");
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("read " + path);
    }
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_size) {
      throw Error("read " + path + ": file larger than " + std::to_string(max_size) + " bytes");
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

namespace {
void WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write " + what);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void FsyncDirOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // Durability of the rename is best effort; the data itself was synced.
  ::fsync(fd);
  ::close(fd);
}
}  // namespace

void WriteFileAtomic(const std::string& path, std::string_view data, int mode) {
  static std::atomic<unsigned> counter{0};
  std::string tmp =
      path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd.valid()) ThrowErrno("create " + tmp);
  try {
    WriteAll(fd.get(), data, tmp);
    if (::fsync(fd.get()) != 0) ThrowErrno("fsync " + tmp);
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0) ThrowErrno("rename " + tmp + " -> " + path);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
  FsyncDirOf(path);
}

}  // namespace strato
