#include "guest/config/config_archive.h"

#include <optional>

#include "common/error.h"
#include "rootfs/initramfs/cpio_writer.h"

namespace strato::guest {

namespace {

// newc header (Documentation/driver-api/early-userspace/buffer-format.rst): "070701" then 13
// fields of 8 hex digits: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor,
// rdevmajor, rdevminor, namesize, check.
constexpr size_t kHeaderBytes = 110;
constexpr std::string_view kNewcMagic = "070701";
constexpr size_t kFieldDigits = 8;
constexpr size_t kFileSizeField = 6;
constexpr size_t kNameSizeField = 11;
constexpr std::string_view kTrailerName = "TRAILER!!!";
constexpr size_t kCpioAlignment = 4;

size_t AlignUp(size_t n) {
  return (n + kCpioAlignment - 1) / kCpioAlignment * kCpioAlignment;
}

uint32_t HexField(const std::string& a, size_t header, size_t field) {
  uint32_t v = 0;
  size_t at = header + kNewcMagic.size() + field * kFieldDigits;
  for (size_t i = 0; i < kFieldDigits; ++i) {
    char c = a[at + i];
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = c - 'A' + 10;
    } else {
      throw Error("config archive: bad hex digit in the header at offset " +
                  std::to_string(header));
    }
    v = v << 4 | d;
  }
  return v;
}

}  // namespace

std::string BuildConfigArchive(const GuestConfig& config) {
  std::string json = SerializeGuestConfig(config);
  initramfs::CpioWriter writer;
  writer.AddFile(kConfigArchiveEntry, json, {.permissions = 0600});
  return writer.Finish();
}

std::string ExtractConfigFromArchive(const std::string& a) {
  std::optional<std::string> found;
  size_t pos = 0;
  bool saw_trailer = false;
  while (pos < a.size()) {
    // Concatenated archives may be separated by zero padding (the kernel skips it too).
    if (saw_trailer && a[pos] == '\0') {
      ++pos;
      continue;
    }
    if (a.size() - pos < kHeaderBytes) {
      throw Error("config archive: truncated header at offset " + std::to_string(pos));
    }
    if (a.compare(pos, kNewcMagic.size(), kNewcMagic) != 0) {
      throw Error("config archive: no newc magic at offset " + std::to_string(pos));
    }
    uint32_t file_size = HexField(a, pos, kFileSizeField);
    uint32_t name_size = HexField(a, pos, kNameSizeField);
    if (name_size == 0) {
      throw Error("config archive: empty name at offset " + std::to_string(pos));
    }
    size_t name_at = pos + kHeaderBytes;
    size_t data_at = pos + AlignUp(kHeaderBytes + name_size);
    if (name_size > a.size() - name_at || data_at > a.size() || file_size > a.size() - data_at) {
      throw Error("config archive: entry at offset " + std::to_string(pos) +
                  " runs past the end of the archive");
    }
    std::string name = a.substr(name_at, name_size - 1);  // without the NUL
    if (a[name_at + name_size - 1] != '\0') {
      throw Error("config archive: name not NUL-terminated at offset " + std::to_string(pos));
    }
    saw_trailer = name == kTrailerName;
    if (name == kConfigArchiveEntry) found = a.substr(data_at, file_size);
    pos = std::min(a.size(), data_at + AlignUp(file_size));
  }
  if (!saw_trailer) throw Error("config archive: no TRAILER!!! entry (truncated archive)");
  if (!found) throw Error(std::string("config archive: no ") + kConfigArchiveEntry + " entry");
  return *found;
}

GuestConfig ReadConfigArchive(const std::string& archive) {
  return ParseGuestConfig(ExtractConfigFromArchive(archive));
}

}  // namespace strato::guest
