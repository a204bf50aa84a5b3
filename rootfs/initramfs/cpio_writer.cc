#include "rootfs/initramfs/cpio_writer.h"

#include <cstdio>
#include <limits>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::initramfs {
namespace {

// newc header: magic, then 13 fields, each 8 upper-case hex digits.
constexpr std::string_view kNewcMagic = "070701";
constexpr size_t kNewcHeaderSize = 110;
constexpr size_t kAlignment = 4;
constexpr std::string_view kTrailerName = "TRAILER!!!";
// The kernel's initramfs unpacker refuses names of PATH_MAX (4096) bytes or more, NUL included.
constexpr size_t kMaxPathLength = 4095;
constexpr uint32_t kPermissionMask = 07777;

// File type bits of st_mode (<sys/stat.h>), spelled out: the archive format fixes them.
constexpr uint32_t kTypeFifo = 0010000;
constexpr uint32_t kTypeCharDevice = 0020000;
constexpr uint32_t kTypeDirectory = 0040000;
constexpr uint32_t kTypeBlockDevice = 0060000;
constexpr uint32_t kTypeRegular = 0100000;
constexpr uint32_t kTypeSymlink = 0120000;

void AppendHex8(std::string& out, uint32_t value) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", value);
  out.append(buf, 8);
}

}  // namespace

std::string CpioWriter::Normalize(std::string_view path) const {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string where = "initramfs entry '" + std::string(path) + "'";
  if (path.empty()) throw Error("initramfs entry: empty path (the root directory exists already)");
  if (path.size() > kMaxPathLength) throw Error(where + ": path longer than 4095 bytes");
  if (path.find('\0') != std::string_view::npos) throw Error(where + ": path contains a NUL byte");
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") {
      throw Error(where + ": empty, '.' or '..' path component");
    }
    start = end + 1;
  }
  if (path == kTrailerName) throw Error(where + ": the name is reserved for the archive trailer");
  return std::string(path);
}

void CpioWriter::AddParents(const std::string& path) {
  for (size_t slash = path.find('/'); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    std::string parent = path.substr(0, slash);
    if (!paths_.contains(parent)) AddEntry(parent, kTypeDirectory, {.permissions = 0755}, {});
  }
}

void CpioWriter::AddEntry(const std::string& path, uint32_t type_bits,
                          const EntryAttributes& attributes, std::string_view data,
                          uint32_t rdev_major, uint32_t rdev_minor) {
  if (paths_.contains(path)) throw Error("initramfs entry '" + path + "': added twice");
  if (attributes.permissions & ~kPermissionMask) {
    throw Error("initramfs entry '" + path + "': permissions have bits outside 07777");
  }
  if (data.size() > std::numeric_limits<uint32_t>::max()) {
    throw Error("initramfs entry '" + path + "': larger than 4 GiB, newc cannot describe it");
  }
  AddParents(path);
  // Directories have two links ("." and the entry); everything else one, so the kernel never
  // treats two entries as hard links of each other (it does so only for nlink >= 2 files).
  uint32_t nlink = type_bits == kTypeDirectory ? 2 : 1;
  AppendHeaderAndName(path, next_inode_++, type_bits | attributes.permissions, attributes.uid,
                      attributes.gid, nlink, attributes.mtime, data.size(), rdev_major, rdev_minor);
  out_.append(data);
  PadToFour();
  paths_.insert(path);
}

void CpioWriter::AppendHeaderAndName(std::string_view name, uint32_t inode, uint32_t mode,
                                     uint32_t uid, uint32_t gid, uint32_t nlink, uint32_t mtime,
                                     uint64_t file_size, uint32_t rdev_major, uint32_t rdev_minor) {
  size_t start = out_.size();
  out_.append(kNewcMagic);
  AppendHex8(out_, inode);                                   // c_ino
  AppendHex8(out_, mode);                                    // c_mode
  AppendHex8(out_, uid);                                     // c_uid
  AppendHex8(out_, gid);                                     // c_gid
  AppendHex8(out_, nlink);                                   // c_nlink
  AppendHex8(out_, mtime);                                   // c_mtime
  AppendHex8(out_, static_cast<uint32_t>(file_size));        // c_filesize
  AppendHex8(out_, 0);                                       // c_devmajor (of the file's own fs)
  AppendHex8(out_, 0);                                       // c_devminor
  AppendHex8(out_, rdev_major);                              // c_rdevmajor (device nodes)
  AppendHex8(out_, rdev_minor);                              // c_rdevminor
  AppendHex8(out_, static_cast<uint32_t>(name.size() + 1));  // c_namesize, NUL included
  AppendHex8(out_, 0);                                       // c_check (only for "070702")
  if (out_.size() - start != kNewcHeaderSize) throw Error("cpio writer: bad header size");
  out_.append(name);
  out_.push_back('\0');
  PadToFour();
}

void CpioWriter::PadToFour() {
  // Every entry starts 4-aligned, so padding the archive length pads relative to the header.
  out_.append((kAlignment - out_.size() % kAlignment) % kAlignment, '\0');
}

void CpioWriter::AddDirectory(std::string_view path, EntryAttributes attributes) {
  AddEntry(Normalize(path), kTypeDirectory, attributes, {});
}

void CpioWriter::AddFile(std::string_view path, std::string_view contents,
                         EntryAttributes attributes) {
  AddEntry(Normalize(path), kTypeRegular, attributes, contents);
}

void CpioWriter::AddSymlink(std::string_view path, std::string_view target,
                            EntryAttributes attributes) {
  std::string normalized = Normalize(path);
  if (target.empty() || target.size() > kMaxPathLength ||
      target.find('\0') != std::string_view::npos) {
    throw Error("initramfs symlink '" + normalized + "': target must be 1..4095 bytes without NUL");
  }
  // The kernel reads a symlink's target from the entry's data.
  AddEntry(normalized, kTypeSymlink, attributes, target);
}

void CpioWriter::AddDevice(std::string_view path, DeviceKind kind, uint32_t major, uint32_t minor,
                           EntryAttributes attributes) {
  AddEntry(Normalize(path), kind == DeviceKind::kCharacter ? kTypeCharDevice : kTypeBlockDevice,
           attributes, {}, major, minor);
}

void CpioWriter::AddFifo(std::string_view path, EntryAttributes attributes) {
  AddEntry(Normalize(path), kTypeFifo, attributes, {});
}

std::string CpioWriter::Finish() {
  AppendHeaderAndName(kTrailerName, 0, 0, 0, 0, 1, 0, 0, 0, 0);
  std::string archive = std::move(out_);
  out_.clear();
  paths_.clear();
  next_inode_ = 1;
  return archive;
}

void CpioWriter::WriteTo(const std::string& path) {
  WriteFileAtomic(path, Finish());
}

}  // namespace strato::initramfs
