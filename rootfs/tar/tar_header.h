#pragma once
// One 512-byte tar header block (POSIX ustar, GNU tar, and the pre-POSIX v7 layout): field
// offsets, numeric fields (octal or GNU base-256) and the header checksum.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strato::rootfs::tar {

inline constexpr size_t kBlockSize = 512;  // POSIX.1 ustar: every header and data block

// Header field offsets and widths (POSIX.1-2017 pax, "ustar Interchange Format").
struct Field {
  size_t offset;
  size_t size;
};
inline constexpr Field kName{0, 100};
inline constexpr Field kMode{100, 8};
inline constexpr Field kUid{108, 8};
inline constexpr Field kGid{116, 8};
inline constexpr Field kSize{124, 12};
inline constexpr Field kMtime{136, 12};
inline constexpr Field kChecksum{148, 8};
inline constexpr size_t kTypeflagOffset = 156;
inline constexpr Field kLinkname{157, 100};
inline constexpr Field kMagic{257, 6};
inline constexpr Field kDevMajor{329, 8};
inline constexpr Field kDevMinor{337, 8};
inline constexpr Field kPrefix{345, 155};

// Typeflags (ustar, plus GNU 'L'/'K' and pax 'x'/'g').
inline constexpr char kTypeRegular = '0';
inline constexpr char kTypeRegularOld = '\0';
inline constexpr char kTypeHardlink = '1';
inline constexpr char kTypeSymlink = '2';
inline constexpr char kTypeCharDevice = '3';
inline constexpr char kTypeBlockDevice = '4';
inline constexpr char kTypeDirectory = '5';
inline constexpr char kTypeFifo = '6';
inline constexpr char kTypeContiguous = '7';  // treated as regular (POSIX)
inline constexpr char kTypePaxExtended = 'x';
inline constexpr char kTypePaxGlobal = 'g';
inline constexpr char kTypeGnuLongName = 'L';
inline constexpr char kTypeGnuLongLink = 'K';

// Which flavour of header: decides whether the prefix field extends the name.
enum class HeaderFormat { kV7, kUstar, kGnu };

// The bytes of a header block, with typed accessors. Throws strato::Error for malformed fields;
// messages name the field, callers add the entry and offset.
class HeaderBlock {
 public:
  explicit HeaderBlock(const uint8_t* block) : b_(block) {}

  bool IsAllZero() const;
  // True when the stored checksum matches the unsigned or the signed byte sum.
  bool ChecksumMatches() const;
  HeaderFormat Format() const;
  char Typeflag() const { return static_cast<char>(b_[kTypeflagOffset]); }
  // Name, joined with the ustar prefix when the format has one.
  std::string Path() const;
  std::string Linkname() const { return String(kLinkname); }
  // A numeric field: octal (NUL/space terminated, leading spaces allowed) or GNU base-256
  // (first byte 0x80 positive, 0xff negative). Empty fields read as 0. Negative values and values
  // above `max` are rejected.
  uint64_t Number(Field f, const char* field_name, uint64_t max) const;

 private:
  std::string String(Field f) const;
  const uint8_t* b_;
};

}  // namespace strato::rootfs::tar
