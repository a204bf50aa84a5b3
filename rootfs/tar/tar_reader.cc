#include "rootfs/tar/tar_reader.h"

#include <cstring>

#include "common/error.h"
#include "rootfs/tar/pax.h"
#include "rootfs/tar/tar_header.h"

namespace strato::rootfs {

using namespace tar;

namespace {

constexpr size_t kBufferSize = 1 << 20;
// Limits on metadata bodies kept in memory: GNU long names/links and pax headers. Real archives
// stay far below; a hostile one cannot make us allocate more.
constexpr size_t kMaxLongName = 64 * 1024;
constexpr size_t kMaxPaxHeader = 8 << 20;
// Numeric field ranges.
constexpr uint64_t kMaxMode = 07777777;  // 21 bits of octal mode; file-type bits are masked off
constexpr uint32_t kPermissionMask = 07777;
constexpr uint64_t kMaxId = UINT32_MAX;
constexpr uint64_t kMaxFileSize = 1ull << 44;       // 16 TiB: the most an EROFS image can address
constexpr uint64_t kMaxDevNumber = (1u << 20) - 1;  // Linux dev_t: 12-bit major, 20-bit minor

constexpr char kSchilyXattr[] = "SCHILY.xattr.";
constexpr char kLibarchiveXattr[] = "LIBARCHIVE.xattr.";
constexpr char kGnuSparse[] = "GNU.sparse.";

uint64_t PadTo512(uint64_t n) {
  return (kBlockSize - n % kBlockSize) % kBlockSize;
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

}  // namespace

TarReader::TarReader(ByteSource& source) : source_(source), buf_(kBufferSize) {}

void TarReader::Fail(const std::string& path, uint64_t offset, const std::string& why) const {
  throw Error("tar entry \"" + path + "\" at offset " + std::to_string(offset) + ": " + why);
}

bool TarReader::Fill(size_t n) {
  if (end_ - pos_ >= n) return true;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  while (end_ < n && !eof_) {
    size_t got = source_.Read(buf_.data() + end_, buf_.size() - end_);
    if (got == 0) eof_ = true;
    end_ += got;
  }
  return end_ - pos_ >= n;
}

void TarReader::Consume(size_t n) {
  pos_ += n;
  consumed_ += n;
}

void TarReader::Skip(uint64_t n, const std::string& what) {
  while (n > 0) {
    if (pos_ == end_ && !Fill(1))
      Fail(what, current_offset_, "data runs past the end of the archive");
    size_t take = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
    Consume(take);
    n -= take;
  }
}

std::string TarReader::ReadSpecialBody(uint64_t size, size_t max, const std::string& what) {
  if (size > max) {
    Fail(what, current_offset_,
         "extended header of " + std::to_string(size) + " bytes exceeds the " +
             std::to_string(max) + "-byte limit");
  }
  std::string body;
  body.reserve(size);
  uint64_t left = size;
  while (left > 0) {
    if (pos_ == end_ && !Fill(1))
      Fail(what, current_offset_, "extended header runs past the end of the archive");
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, end_ - pos_));
    body.append(reinterpret_cast<const char*>(buf_.data() + pos_), take);
    Consume(take);
    left -= take;
  }
  Skip(PadTo512(size), what);
  return body;
}

std::span<const uint8_t> TarReader::ReadData() {
  if (data_left_ == 0) {
    if (data_padding_ > 0) {
      Skip(data_padding_, current_path_);
      data_padding_ = 0;
    }
    return {};
  }
  if (pos_ == end_ && !Fill(1)) {
    Fail(
        current_path_, current_offset_,
        "data runs past the end of the archive (" + std::to_string(data_left_) + " bytes missing)");
  }
  size_t take = static_cast<size_t>(std::min<uint64_t>(data_left_, end_ - pos_));
  std::span<const uint8_t> chunk(buf_.data() + pos_, take);
  Consume(take);
  data_left_ -= take;
  return chunk;
}

bool TarReader::Next(TarEntry* entry) {
  // Finish the previous entry.
  Skip(data_left_ + data_padding_, current_path_);
  data_left_ = data_padding_ = 0;

  std::string long_name, long_link;
  bool have_long_name = false, have_long_link = false;
  std::vector<std::pair<std::string, std::string>> pax;
  uint64_t first_header_offset = consumed_;
  bool in_extension = false;

  for (;;) {
    uint64_t header_offset = consumed_;
    current_offset_ = in_extension ? first_header_offset : header_offset;
    if (!Fill(kBlockSize)) {
      if (end_ == pos_ && !in_extension) return false;  // clean EOF without end marker
      Fail(in_extension ? long_name : "", header_offset,
           "truncated header (archive ends mid-block)");
    }
    HeaderBlock header(buf_.data() + pos_);
    if (header.IsAllZero()) {
      if (in_extension) Fail(long_name, header_offset, "extended header not followed by an entry");
      Consume(kBlockSize);
      return false;  // end-of-archive marker; what follows is ignored
    }
    std::string raw_path = header.Path();
    if (!header.ChecksumMatches()) Fail(raw_path, header_offset, "header checksum mismatch");
    char type = header.Typeflag();
    uint64_t size = 0;
    try {
      size = header.Number(kSize, "size", kMaxFileSize);
    } catch (const Error& e) {
      Fail(raw_path, header_offset, e.what());
    }
    Consume(kBlockSize);

    if (type == kTypeGnuLongName || type == kTypeGnuLongLink) {
      std::string body = ReadSpecialBody(size, kMaxLongName, raw_path);
      body.resize(strnlen(body.c_str(), body.size()));
      if (type == kTypeGnuLongName) {
        long_name = std::move(body);
        have_long_name = true;
      } else {
        long_link = std::move(body);
        have_long_link = true;
      }
      in_extension = true;
      continue;
    }
    if (type == kTypePaxExtended || type == kTypePaxGlobal) {
      std::string body = ReadSpecialBody(size, kMaxPaxHeader, raw_path);
      std::vector<PaxRecord> records;
      try {
        records = ParsePaxRecords(body);
      } catch (const Error& e) {
        Fail(raw_path, header_offset, e.what());
      }
      auto& target = type == kTypePaxGlobal ? global_pax_ : pax;
      for (auto& r : records) target.emplace_back(std::move(r.key), std::move(r.value));
      if (type == kTypePaxExtended) in_extension = true;
      continue;
    }

    // A real entry.
    TarEntry e;
    e.offset = in_extension ? first_header_offset : header_offset;
    e.path = have_long_name ? long_name : raw_path;
    e.linkname = have_long_link ? long_link : header.Linkname();
    current_path_ = e.path;
    current_offset_ = e.offset;
    try {
      e.mode = static_cast<uint32_t>(header.Number(kMode, "mode", kMaxMode)) & kPermissionMask;
      e.uid = static_cast<uint32_t>(header.Number(kUid, "uid", kMaxId));
      e.gid = static_cast<uint32_t>(header.Number(kGid, "gid", kMaxId));
      e.mtime_sec = static_cast<int64_t>(header.Number(kMtime, "mtime", INT64_MAX));
      if (type == kTypeCharDevice || type == kTypeBlockDevice) {
        e.dev_major = static_cast<uint32_t>(header.Number(kDevMajor, "devmajor", kMaxDevNumber));
        e.dev_minor = static_cast<uint32_t>(header.Number(kDevMinor, "devminor", kMaxDevNumber));
      }
    } catch (const Error& err) {
      Fail(e.path, e.offset, err.what());
    }
    // Global records first, then the entry's own (later records win).
    std::vector<std::pair<std::string, std::string>> all = global_pax_;
    all.insert(all.end(), pax.begin(), pax.end());
    try {
      for (auto& [key, value] : all) {
        if (key == "path") {
          if (value.find('\0') != std::string::npos) throw Error("pax path contains a NUL byte");
          e.path = value;
        } else if (key == "linkpath") {
          if (value.find('\0') != std::string::npos)
            throw Error("pax linkpath contains a NUL byte");
          e.linkname = value;
        } else if (key == "size") {
          size = ParsePaxUint(value, "size", kMaxFileSize);
        } else if (key == "uid") {
          e.uid = static_cast<uint32_t>(ParsePaxUint(value, "uid", kMaxId));
        } else if (key == "gid") {
          e.gid = static_cast<uint32_t>(ParsePaxUint(value, "gid", kMaxId));
        } else if (key == "mtime") {
          ParsePaxTime(value, &e.mtime_sec, &e.mtime_nsec);
        } else if (StartsWith(key, kSchilyXattr)) {
          e.xattrs.emplace_back(key.substr(std::strlen(kSchilyXattr)), value);
        } else if (StartsWith(key, kLibarchiveXattr)) {
          e.xattrs.emplace_back(PercentDecode(key.substr(std::strlen(kLibarchiveXattr))),
                                Base64Decode(value));
        } else if (StartsWith(key, kGnuSparse)) {
          throw Error("GNU sparse files are not supported");
        }
        // Other keys (atime, ctime, uname, gname, comment, charset...) carry nothing we store.
      }
    } catch (const Error& err) {
      current_path_ = e.path;
      Fail(e.path, e.offset, err.what());
    }
    current_path_ = e.path;

    switch (type) {
      case kTypeRegular:
      case kTypeRegularOld:
      case kTypeContiguous:
        e.type = TarEntryType::kRegular;
        break;
      case kTypeHardlink:
        e.type = TarEntryType::kHardlink;
        break;
      case kTypeSymlink:
        e.type = TarEntryType::kSymlink;
        break;
      case kTypeCharDevice:
        e.type = TarEntryType::kCharDevice;
        break;
      case kTypeBlockDevice:
        e.type = TarEntryType::kBlockDevice;
        break;
      case kTypeDirectory:
        e.type = TarEntryType::kDirectory;
        break;
      case kTypeFifo:
        e.type = TarEntryType::kFifo;
        break;
      default: {
        std::string shown = type >= 0x20 && type < 0x7f
                                ? std::string(1, type)
                                : "\\x" + std::to_string(static_cast<uint8_t>(type));
        Fail(e.path, e.offset, "unsupported entry type '" + shown + "'");
      }
    }
    // Only regular files carry data; a size on anything else (some writers put the hardlink
    // target's size there) is skipped.
    e.size = e.type == TarEntryType::kRegular ? size : 0;
    data_left_ = e.size;
    data_padding_ = (size - e.size) + PadTo512(size);
    *entry = std::move(e);
    return true;
  }
}

}  // namespace strato::rootfs
