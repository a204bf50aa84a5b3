#include "rootfs/erofs/image_output.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "rootfs/erofs/format.h"

namespace strato::rootfs::erofs {

namespace {
constexpr size_t kBufferSize = 1 << 20;

void PWriteAll(int fd, const uint8_t* data, size_t size, uint64_t offset) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("write EROFS image");
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}
}  // namespace

ImageOutput::ImageOutput(int fd, uint64_t start)
    : fd_(fd), position_(start), flushed_(start), buf_(kBufferSize) {}

void ImageOutput::Flush() {
  if (used_ > 0) PWriteAll(fd_, buf_.data(), used_, flushed_);
  flushed_ += used_;
  used_ = 0;
}

void ImageOutput::Write(const void* data, size_t size) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  if (size >= buf_.size()) {
    // Large writes go straight to the file.
    Flush();
    PWriteAll(fd_, p, size, flushed_);
    flushed_ += size;
    position_ += size;
    return;
  }
  if (used_ + size > buf_.size()) Flush();
  std::memcpy(buf_.data() + used_, p, size);
  used_ += size;
  position_ += size;
}

void ImageOutput::WriteZeros(uint64_t count) {
  static const uint8_t kZeros[kBlockSize] = {};
  while (count > 0) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(count, sizeof(kZeros)));
    Write(kZeros, n);
    count -= n;
  }
}

void ImageOutput::PadToBlock() {
  WriteZeros((kBlockSize - position_ % kBlockSize) % kBlockSize);
}

void ImageOutput::WriteAt(uint64_t offset, const void* data, size_t size) {
  PWriteAll(fd_, static_cast<const uint8_t*>(data), size, offset);
}

}  // namespace strato::rootfs::erofs
