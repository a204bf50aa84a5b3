#pragma once
// Writer for the "newc" cpio format (magic 070701), the format the Linux kernel unpacks as an
// initramfs (Documentation/driver-api/early-userspace/buffer-format.rst). Output is deterministic:
// inode numbers count up from 1 in insertion order, and nothing is taken from the clock or from
// the host unless the caller passes it.
//
// Archive layout, per entry: a 110-byte ASCII header ("070701" + 13 fields of 8 hex digits), the
// NUL-terminated name padded to a multiple of 4 bytes (counting from the header start), then the
// data padded to a multiple of 4. The archive ends with an entry named "TRAILER!!!". Every archive
// is a multiple of 4 bytes long, so archives can be concatenated and the kernel unpacks each in
// turn (later entries replace earlier ones).

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace strato::initramfs {

// Owner, permissions and time of one entry. `permissions` holds only the 07777 bits; the file
// type bits come from the kind of entry added.
struct EntryAttributes {
  uint32_t permissions = 0644;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint32_t mtime = 0;  // seconds since the epoch; 0 keeps archives reproducible
};

enum class DeviceKind { kCharacter, kBlock };

class CpioWriter {
 public:
  // Paths are archive-relative ("bin/sh"; a leading "/" is dropped). Missing parent directories
  // are added first (0755, root, mtime 0) because the kernel silently skips an entry whose parent
  // does not exist. Adding a path twice, "..", empty components or a path longer than 4095 bytes
  // throws strato::Error.
  void AddDirectory(std::string_view path, EntryAttributes attributes = {.permissions = 0755});
  void AddFile(std::string_view path, std::string_view contents, EntryAttributes attributes = {});
  void AddSymlink(std::string_view path, std::string_view target,
                  EntryAttributes attributes = {.permissions = 0777});
  void AddDevice(std::string_view path, DeviceKind kind, uint32_t major, uint32_t minor,
                 EntryAttributes attributes = {.permissions = 0600});
  void AddFifo(std::string_view path, EntryAttributes attributes = {});

  // Appends the trailer and returns the whole archive. The writer is empty afterwards.
  std::string Finish();

  // Finish() written atomically to `path` (temporary name + rename).
  void WriteTo(const std::string& path);

  size_t entry_count() const { return paths_.size(); }

 private:
  std::string Normalize(std::string_view path) const;
  void AddParents(const std::string& path);
  void AddEntry(const std::string& path, uint32_t type_bits, const EntryAttributes& attributes,
                std::string_view data, uint32_t rdev_major = 0, uint32_t rdev_minor = 0);
  void AppendHeaderAndName(std::string_view name, uint32_t inode, uint32_t mode, uint32_t uid,
                           uint32_t gid, uint32_t nlink, uint32_t mtime, uint64_t file_size,
                           uint32_t rdev_major, uint32_t rdev_minor);
  void PadToFour();

  std::string out_;
  std::set<std::string, std::less<>> paths_;
  uint32_t next_inode_ = 1;
};

}  // namespace strato::initramfs
