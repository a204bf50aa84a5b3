#include "oci/tar_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::oci {

namespace {

// POSIX ustar header layout (pax(1) "ustar Interchange Format"): field offsets and lengths.
constexpr size_t kBlockSize = 512;
constexpr size_t kNameOffset = 0, kNameLength = 100;
constexpr size_t kSizeOffset = 124, kSizeLength = 12;
constexpr size_t kChecksumOffset = 148, kChecksumLength = 8;
constexpr size_t kTypeflagOffset = 156;
constexpr size_t kMagicOffset = 257;
constexpr size_t kPrefixOffset = 345, kPrefixLength = 155;
// Typeflags: regular files ('0' and the old '\0'), GNU long name, PAX extended/global headers.
constexpr char kTypeRegular = '0', kTypeRegularOld = '\0', kTypeContiguous = '7';
constexpr char kTypeGnuLongName = 'L', kTypePaxExtended = 'x', kTypePaxGlobal = 'g';
// Names and PAX records larger than this are refused (a guard against absurd allocations).
constexpr uint64_t kMaxMetaSize = 1 << 20;

using Block = std::array<uint8_t, kBlockSize>;

std::string Field(const Block& b, size_t off, size_t len) {
  const char* p = reinterpret_cast<const char*>(b.data() + off);
  return std::string(p, strnlen(p, len));
}

bool ParseNumber(const Block& b, size_t off, size_t len, uint64_t* out) {
  // GNU base-256: the high bit of the first byte set; positive values only here.
  if (b[off] & 0x80) {
    if (b[off] & 0x40) return false;  // negative
    uint64_t v = b[off] & 0x3f;
    for (size_t i = 1; i < len; ++i) {
      if (v >> 56) return false;
      v = (v << 8) | b[off + i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < len && b[off + i] == ' ') ++i;
  bool digits = false;
  for (; i < len && b[off + i] >= '0' && b[off + i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + (b[off + i] - '0');
    digits = true;
  }
  for (; i < len; ++i) {
    if (b[off + i] != ' ' && b[off + i] != '\0') return false;
  }
  *out = v;
  (void)digits;  // an all-blank field reads as 0, as GNU tar does
  return true;
}

bool ChecksumOk(const Block& b) {
  uint64_t stored = 0;
  if (!ParseNumber(b, kChecksumOffset, kChecksumLength, &stored)) return false;
  uint64_t sum = 0;
  for (size_t i = 0; i < kBlockSize; ++i) {
    bool in_field = i >= kChecksumOffset && i < kChecksumOffset + kChecksumLength;
    sum += in_field ? ' ' : b[i];
  }
  return sum == stored;
}

bool IsZero(const Block& b) {
  for (uint8_t c : b) {
    if (c != 0) return false;
  }
  return true;
}

// Extracts the "path" record of a PAX extended header ("<len> path=<value>\n" records).
std::string PaxPath(const std::string& data) {
  std::string path;
  size_t pos = 0;
  while (pos < data.size()) {
    size_t space = data.find(' ', pos);
    if (space == std::string::npos) break;
    size_t len = 0;
    for (size_t i = pos; i < space; ++i) {
      if (data[i] < '0' || data[i] > '9') return path;
      len = len * 10 + static_cast<size_t>(data[i] - '0');
      if (len > data.size()) return path;
    }
    if (len == 0 || pos + len > data.size()) break;
    std::string record = data.substr(space + 1, pos + len - space - 2);  // drop trailing '\n'
    if (record.starts_with("path=")) path = record.substr(5);
    pos += len;
  }
  return path;
}

bool Indexable(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::map<std::string, TarMember> IndexTarArchive(const std::string& path) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) ThrowErrno("stat " + path);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  auto fail = [&](uint64_t offset, const std::string& why) -> void {
    throw Error("image archive " + path + ": header at offset " + std::to_string(offset) + ": " +
                why);
  };
  auto read_at = [&](uint64_t offset, void* buf, size_t len) {
    if (PreadFull(fd.get(), buf, len, offset, "read " + path) != len) fail(offset, "truncated");
  };

  std::map<std::string, TarMember> members;
  std::string long_name;
  uint64_t offset = 0;
  if (file_size < kBlockSize)
    throw Error("image archive " + path + ": not a tar archive (too short)");
  while (offset + kBlockSize <= file_size) {
    Block b;
    read_at(offset, b.data(), kBlockSize);
    if (IsZero(b)) break;  // end-of-archive marker
    if (!ChecksumOk(b)) {
      fail(offset, offset == 0 ? "not a tar archive (bad header checksum)" : "bad header checksum");
    }
    uint64_t size = 0;
    if (!ParseNumber(b, kSizeOffset, kSizeLength, &size)) fail(offset, "bad size field");
    const uint64_t data_offset = offset + kBlockSize;
    if (size > file_size - data_offset) {
      fail(offset, "entry size " + std::to_string(size) + " runs past end of file");
    }
    const char type = static_cast<char>(b[kTypeflagOffset]);
    if (type == kTypeGnuLongName || type == kTypePaxExtended) {
      if (size > kMaxMetaSize) fail(offset, "extended header too large");
      std::string data(size, '\0');
      read_at(data_offset, data.data(), size);
      if (type == kTypeGnuLongName) {
        long_name = data.substr(0, data.find('\0'));  // GNU pads the name with NULs
      } else if (std::string p = PaxPath(data); !p.empty()) {
        long_name = p;
      }
    } else if (type != kTypePaxGlobal) {
      std::string name = long_name;
      if (name.empty()) {
        name = Field(b, kNameOffset, kNameLength);
        bool ustar = std::memcmp(b.data() + kMagicOffset, "ustar", 5) == 0;
        std::string prefix = ustar ? Field(b, kPrefixOffset, kPrefixLength) : "";
        if (!prefix.empty()) name = prefix + "/" + name;
      }
      long_name.clear();
      while (name.starts_with("./")) name.erase(0, 2);
      if ((type == kTypeRegular || type == kTypeRegularOld || type == kTypeContiguous) &&
          Indexable(name)) {
        members[name] = TarMember{data_offset, size};
      }
    }
    offset = data_offset + (size + kBlockSize - 1) / kBlockSize * kBlockSize;
  }
  // Ending without the zero blocks is tolerated (as GNU tar does); ending inside a header is not.
  if (offset < file_size && file_size - offset < kBlockSize) fail(offset, "truncated");
  return members;
}

}  // namespace strato::oci
