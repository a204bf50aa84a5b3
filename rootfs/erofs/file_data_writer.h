#pragma once
// Streams regular-file contents into the image data area as they arrive (one pass, arrival
// order, block aligned). The last partial block of a file (its tail) goes to a scratch file when
// it can later be packed inline after the inode (FLAT_INLINE); otherwise it is written in place,
// zero-padded (FLAT_PLAIN). Memory use is independent of file sizes.

#include <cstdint>
#include <span>
#include <string>

#include "common/file_util.h"
#include "rootfs/erofs/image_output.h"
#include "rootfs/fs_tree.h"

namespace strato::rootfs::erofs {

// True when a file of `size` bytes with an xattr ibody of `xattr_size` bytes can keep its tail
// inline: the record (largest inode core + xattrs + tail) fits one block.
bool TailCanBeInline(uint64_t size, size_t xattr_size);

class FileDataWriter {
 public:
  // `out` is positioned at the start of the data area (block aligned). The scratch file is
  // created (unlinked) in `scratch_dir`.
  FileDataWriter(ImageOutput& out, const std::string& scratch_dir);

  void Begin(uint64_t size, bool inline_tail);
  void Append(std::span<const uint8_t> bytes);
  // Finishes the file; throws if fewer or more bytes than announced arrived.
  FileData End();

  // Reads back a scratch tail (for the metadata pass).
  void ReadTail(const FileData& data, uint8_t* out);
  // Makes scratch tails readable (flushes the scratch buffer).
  void FinishData();

  uint64_t bytes_written() const { return bytes_; }

 private:
  ImageOutput& out_;
  UniqueFd scratch_;
  ImageOutput scratch_out_;
  uint64_t size_ = 0;
  uint64_t received_ = 0;
  uint64_t full_bytes_ = 0;  // bytes that go to the data area as whole blocks
  bool inline_tail_ = false;
  FileData current_;
  uint64_t bytes_ = 0;
  bool active_ = false;
};

}  // namespace strato::rootfs::erofs
