#pragma once
// Buffered sequential writer for the image file, plus positioned writes for regions laid out
// ahead of the cursor. Keeps only a fixed-size buffer in memory.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strato::rootfs::erofs {

class ImageOutput {
 public:
  // Writes to `fd` (not owned) starting at byte `start`.
  ImageOutput(int fd, uint64_t start);
  ~ImageOutput() = default;

  void Write(const void* data, size_t size);
  void WriteZeros(uint64_t count);
  // Zero-fills up to the next multiple of the EROFS block size.
  void PadToBlock();
  uint64_t position() const { return position_; }
  void Flush();
  // Writes at an absolute offset, bypassing the buffer (only for ranges not buffered).
  void WriteAt(uint64_t offset, const void* data, size_t size);
  int fd() const { return fd_; }

 private:
  int fd_;
  uint64_t position_;
  uint64_t flushed_;  // file offset of buf_[0]
  std::vector<uint8_t> buf_;
  size_t used_ = 0;
};

}  // namespace strato::rootfs::erofs
