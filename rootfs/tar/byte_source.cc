#include "rootfs/tar/byte_source.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <vector>

#include "common/error.h"
#include "common/sha256.h"

namespace strato::rootfs {

namespace {
// Chunk size when draining a stream to finish its digest.
constexpr size_t kDrainChunk = 128 * 1024;
}  // namespace

size_t FdSource::Read(uint8_t* buf, size_t n) {
  n = static_cast<size_t>(std::min<uint64_t>(n, length_ - bytes_read_));
  if (n == 0) return 0;
  for (;;) {
    ssize_t got = ::pread(fd_, buf, n, static_cast<off_t>(offset_ + bytes_read_));
    if (got > 0) {
      bytes_read_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
    if (got == 0) {
      throw Error("layer blob ends after " + std::to_string(bytes_read_) + " of " +
                  std::to_string(length_) + " bytes (file shorter than its descriptor)");
    }
    if (errno != EINTR) ThrowErrno("read layer");
  }
}

struct HashingSource::State {
  Sha256 sha;
};

HashingSource::HashingSource(ByteSource& inner)
    : inner_(inner), state_(std::make_unique<State>()) {}
HashingSource::~HashingSource() = default;

size_t HashingSource::Read(uint8_t* buf, size_t n) {
  size_t got = inner_.Read(buf, n);
  state_->sha.Update(std::span<const uint8_t>(buf, got));
  return got;
}

std::string HashingSource::DrainAndDigest() {
  std::vector<uint8_t> buf(kDrainChunk);
  while (Read(buf.data(), buf.size()) > 0) {
  }
  return "sha256:" + state_->sha.FinalHex();
}

size_t MemorySource::Read(uint8_t* buf, size_t n) {
  size_t take = std::min(n, size_ - pos_);
  if (take > 0) std::memcpy(buf, data_ + pos_, take);
  pos_ += take;
  return take;
}

size_t LimitedSource::Read(uint8_t* buf, size_t n) {
  size_t got = inner_.Read(buf, n);
  done_ += got;
  if (done_ > limit_) {
    throw Error("uncompressed layer exceeds the limit of " + std::to_string(limit_) + " bytes");
  }
  return got;
}

size_t PrefixedSource::Read(uint8_t* buf, size_t n) {
  if (pos_ < head_.size()) {
    size_t take = std::min(n, head_.size() - pos_);
    std::memcpy(buf, head_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  return rest_.Read(buf, n);
}

}  // namespace strato::rootfs
