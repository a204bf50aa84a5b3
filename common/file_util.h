#pragma once
// Small file helpers shared by every module: an owning fd, whole-file reads, and atomic writes
// (temporary name in the same directory, fsync, rename) so readers never see a partial file.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace strato {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// open(2) that throws strato::Error("open <path>: <reason>").
UniqueFd OpenOrThrow(const std::string& path, int flags, int mode = 0);

// pread(2) until `len` bytes are in `buf` or end of file, retrying EINTR; returns the bytes read
// (fewer than `len` only at end of file). A read error throws strato::Error("<what>: <reason>").
size_t PreadFull(int fd, void* buf, size_t len, uint64_t offset, const std::string& what);

// Reads a whole file; throws strato::Error naming the path if it cannot, or if it is larger
// than `max_size` bytes (a guard against reading a huge or endless file into memory).
std::string ReadFile(const std::string& path, size_t max_size = 64u << 20);

// Writes `data` to `path` atomically: <path>.tmp.<pid>.<n> in the same directory, fsync, rename,
// fsync of the directory. On failure the temporary file is removed and strato::Error thrown.
void WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644);

}  // namespace strato
