#pragma once
// Streaming tar reader: ustar, GNU (long names 'L'/'K', base-256 numbers), pax ('x' per entry,
// 'g' global: path, linkpath, size, uid, gid, mtime with fraction, SCHILY.xattr.*,
// LIBARCHIVE.xattr.*). Entries come out in archive order with their data readable in chunks;
// nothing is extracted. Structural errors throw strato::Error naming the entry and its offset.
// Paths are returned as stored: callers normalise them (rootfs/tar/tar_path.h).

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rootfs/tar/byte_source.h"

namespace strato::rootfs {

enum class TarEntryType {
  kRegular,
  kHardlink,
  kSymlink,
  kCharDevice,
  kBlockDevice,
  kDirectory,
  kFifo
};

struct TarEntry {
  std::string path;      // as stored (after GNU/pax overrides)
  std::string linkname;  // hardlink target path or symlink target
  TarEntryType type = TarEntryType::kRegular;
  uint32_t mode = 0;  // permission and set-id bits (07777)
  uint32_t uid = 0;
  uint32_t gid = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  uint64_t size = 0;  // data bytes (regular files only; 0 for others)
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;  // full names ("user.foo"), in order
  uint64_t offset = 0;  // byte offset of the entry's first header in the uncompressed tar
};

class TarReader {
 public:
  explicit TarReader(ByteSource& source);

  // Advances to the next entry (skipping unread data of the current one). Returns false at the
  // end of the archive (two zero blocks, or a clean EOF on a block boundary).
  bool Next(TarEntry* entry);

  // The next piece of the current entry's data: a view into an internal buffer, valid until the
  // next call. Empty once all `entry.size` bytes were returned. Throws if the archive is cut.
  std::span<const uint8_t> ReadData();

  // Bytes of uncompressed tar consumed so far.
  uint64_t offset() const { return consumed_; }

 private:
  // Makes at least `n` bytes available in the buffer; returns false at EOF before that.
  bool Fill(size_t n);
  void Consume(size_t n);
  void Skip(uint64_t n, const std::string& what);
  std::string ReadSpecialBody(uint64_t size, size_t max, const std::string& what);
  [[noreturn]] void Fail(const std::string& path, uint64_t offset, const std::string& why) const;

  ByteSource& source_;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;
  size_t end_ = 0;
  bool eof_ = false;
  uint64_t consumed_ = 0;
  uint64_t data_left_ = 0;     // unread data bytes of the current entry
  uint64_t data_padding_ = 0;  // padding after it up to the next 512-byte boundary
  std::string current_path_;
  uint64_t current_offset_ = 0;
  std::vector<std::pair<std::string, std::string>> global_pax_;
};

}  // namespace strato::rootfs
