#include "rootfs/erofs/xattr_layout.h"

#include "common/error.h"
#include "rootfs/erofs/format.h"

namespace strato::rootfs::erofs {

namespace {

struct Prefix {
  std::string_view text;
  uint8_t index;
  bool whole_name;  // the POSIX ACL names are matched whole and stored with an empty suffix
};

constexpr Prefix kPrefixes[] = {
    {"user.", kXattrIndexUser, false},
    {"system.posix_acl_access", kXattrIndexPosixAclAccess, true},
    {"system.posix_acl_default", kXattrIndexPosixAclDefault, true},
    {"trusted.", kXattrIndexTrusted, false},
    {"security.", kXattrIndexSecurity, false},
};

// e_name_len is u8, e_value_size is u16; i_xattr_icount is u16.
constexpr size_t kMaxSuffix = 255;
constexpr size_t kMaxValue = 65535;
constexpr size_t kMaxIbody = kXattrIbodyHeaderSize + 4 * (65535 - 1);

size_t Align(size_t n) {
  return (n + kXattrAlign - 1) / kXattrAlign * kXattrAlign;
}

}  // namespace

std::optional<XattrKey> EncodeXattrName(std::string_view name) {
  for (const Prefix& p : kPrefixes) {
    if (p.whole_name) {
      if (name == p.text) return XattrKey{p.index, {}};
    } else if (name.starts_with(p.text) && name.size() > p.text.size()) {
      return XattrKey{p.index, name.substr(p.text.size())};
    }
  }
  return std::nullopt;
}

void ValidateXattrs(const std::vector<std::pair<std::string, std::string>>& xattrs) {
  for (const auto& [name, value] : xattrs) {
    std::optional<XattrKey> key = EncodeXattrName(name);
    if (!key) throw Error("xattr \"" + name + "\": namespace not supported by EROFS");
    if (key->suffix.size() > kMaxSuffix) throw Error("xattr \"" + name + "\": name too long");
    if (value.size() > kMaxValue) {
      throw Error("xattr \"" + name + "\": value of " + std::to_string(value.size()) +
                  " bytes exceeds 65535");
    }
  }
  if (XattrIbodySize(xattrs) > kMaxIbody) throw Error("xattrs too large for one inode");
}

size_t XattrIbodySize(const std::vector<std::pair<std::string, std::string>>& xattrs) {
  if (xattrs.empty()) return 0;
  size_t size = kXattrIbodyHeaderSize;
  for (const auto& [name, value] : xattrs) {
    std::optional<XattrKey> key = EncodeXattrName(name);
    size_t suffix = key ? key->suffix.size() : name.size();
    size += Align(kXattrEntryHeaderSize + suffix + value.size());
  }
  return size;
}

uint16_t XattrInodeCount(size_t ibody_size) {
  if (ibody_size == 0) return 0;
  return static_cast<uint16_t>((ibody_size - kXattrIbodyHeaderSize) / 4 + 1);
}

void AppendXattrIbody(const std::vector<std::pair<std::string, std::string>>& xattrs,
                      std::string* out) {
  if (xattrs.empty()) return;
  // Header: h_name_filter (u32, 0 = no bloom filter), h_shared_count 0, 7 reserved bytes.
  out->append(kXattrIbodyHeaderSize, '\0');
  for (const auto& [name, value] : xattrs) {
    XattrKey key = *EncodeXattrName(name);
    size_t start = out->size();
    out->push_back(static_cast<char>(key.suffix.size()));
    out->push_back(static_cast<char>(key.index));
    out->push_back(static_cast<char>(value.size() & 0xff));
    out->push_back(static_cast<char>(value.size() >> 8));
    out->append(key.suffix);
    out->append(value);
    out->append(Align(out->size() - start) - (out->size() - start), '\0');
  }
}

}  // namespace strato::rootfs::erofs
