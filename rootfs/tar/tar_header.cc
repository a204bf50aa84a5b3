#include "rootfs/tar/tar_header.h"

#include <cstring>

#include "common/error.h"

namespace strato::rootfs::tar {

namespace {

constexpr uint8_t kBase256Positive = 0x80;  // GNU tar: base-256, non-negative
constexpr uint8_t kBase256Negative = 0xff;  // GNU tar: base-256, two's complement negative
constexpr char kUstarMagic[] = "ustar";     // "ustar\0" (POSIX) or "ustar " (GNU)

}  // namespace

bool HeaderBlock::IsAllZero() const {
  for (size_t i = 0; i < kBlockSize; ++i) {
    if (b_[i] != 0) return false;
  }
  return true;
}

bool HeaderBlock::ChecksumMatches() const {
  uint64_t stored = 0;
  try {
    stored = Number(kChecksum, "checksum", UINT32_MAX);
  } catch (const Error&) {
    return false;
  }
  // The checksum is computed with its own field filled with spaces; historic tars summed signed
  // chars, so both sums are accepted.
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlockSize; ++i) {
    bool in_field = i >= kChecksum.offset && i < kChecksum.offset + kChecksum.size;
    uint8_t byte = in_field ? ' ' : b_[i];
    unsigned_sum += byte;
    signed_sum += static_cast<int8_t>(byte);
  }
  return stored == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

HeaderFormat HeaderBlock::Format() const {
  if (std::memcmp(b_ + kMagic.offset, kUstarMagic, 5) != 0) return HeaderFormat::kV7;
  // GNU: "ustar  \0" (magic "ustar " + version " \0"); POSIX: "ustar\0" + "00".
  return b_[kMagic.offset + 5] == ' ' ? HeaderFormat::kGnu : HeaderFormat::kUstar;
}

std::string HeaderBlock::String(Field f) const {
  const char* start = reinterpret_cast<const char*>(b_ + f.offset);
  return std::string(start, strnlen(start, f.size));
}

std::string HeaderBlock::Path() const {
  std::string name = String(kName);
  if (Format() == HeaderFormat::kUstar) {
    std::string prefix = String(kPrefix);
    if (!prefix.empty()) return prefix + "/" + name;
  }
  return name;
}

uint64_t HeaderBlock::Number(Field f, const char* field_name, uint64_t max) const {
  const uint8_t* p = b_ + f.offset;
  if (p[0] == kBase256Positive || p[0] == kBase256Negative) {
    if (p[0] == kBase256Negative) {
      throw Error(std::string("negative ") + field_name + " (base-256)");
    }
    uint64_t value = 0;
    // The first byte carries only the marker bit; the value is big-endian in the rest.
    for (size_t i = 1; i < f.size; ++i) {
      if (value > (UINT64_MAX >> 8)) throw Error(std::string(field_name) + " too large");
      value = (value << 8) | p[i];
    }
    if (value > max)
      throw Error(std::string(field_name) + " too large (" + std::to_string(value) + ")");
    return value;
  }
  size_t i = 0;
  while (i < f.size && p[i] == ' ') ++i;
  uint64_t value = 0;
  bool any = false;
  for (; i < f.size; ++i) {
    uint8_t c = p[i];
    if (c == 0 || c == ' ') break;
    if (c < '0' || c > '7') {
      throw Error(std::string("invalid ") + field_name + " field (not octal)");
    }
    if (value > (UINT64_MAX >> 3)) throw Error(std::string(field_name) + " too large");
    value = (value << 3) | static_cast<uint64_t>(c - '0');
    any = true;
  }
  // After the terminator only NULs and spaces may follow.
  for (; i < f.size; ++i) {
    if (p[i] != 0 && p[i] != ' ') throw Error(std::string("invalid ") + field_name + " field");
  }
  if (!any) return 0;
  if (value > max)
    throw Error(std::string(field_name) + " too large (" + std::to_string(value) + ")");
  return value;
}

}  // namespace strato::rootfs::tar
