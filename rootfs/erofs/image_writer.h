#pragma once
// Lays out and writes the metadata of an uncompressed EROFS image once all file data has been
// streamed (rootfs/erofs/file_data_writer.h): inodes (compact or extended), inline xattrs,
// inline tails, directory blocks, then the superblock with its CRC32C.
//
// Image layout:  block 0: superblock at byte 1024 | file data (arrival order) |
//                metadata (NID space: inodes + xattrs + inline tails) |
//                directory and symlink blocks that did not fit inline.

#include <array>
#include <cstdint>

#include "rootfs/erofs/file_data_writer.h"
#include "rootfs/erofs/image_output.h"
#include "rootfs/fs_tree.h"

namespace strato::rootfs::erofs {

struct ImageStats {
  uint64_t inodes = 0;
  uint64_t regular_files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t special_files = 0;  // devices, fifos, sockets (whiteouts included)
  uint64_t blocks = 0;
  uint64_t image_bytes = 0;
};

// Writes the metadata after the data area (`out` is at its end, block aligned) and the
// superblock; flushes. `uuid` goes into the superblock as is.
ImageStats WriteImageMetadata(const FsTree& tree, FileDataWriter& data, ImageOutput& out,
                              const std::array<uint8_t, 16>& uuid);

}  // namespace strato::rootfs::erofs
