#pragma once
// Inline xattr ibody encoding (fs/erofs/erofs_fs.h erofs_xattr_ibody_header, erofs_xattr_entry).
// No shared xattrs: every xattr is stored in its inode's ibody.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strato::rootfs::erofs {

struct XattrKey {
  uint8_t index;            // EROFS_XATTR_INDEX_*
  std::string_view suffix;  // name after the namespace prefix
};

// Maps a full xattr name to its EROFS prefix index and suffix; nullopt for namespaces EROFS
// (without long prefixes, as on Linux 6.1) cannot store.
std::optional<XattrKey> EncodeXattrName(std::string_view name);

// Checks that every name is storable and that the sizes fit the on-disk fields; throws
// strato::Error naming the xattr.
void ValidateXattrs(const std::vector<std::pair<std::string, std::string>>& xattrs);

// Size of the ibody for these xattrs: 0 with none, else header + aligned entries.
size_t XattrIbodySize(const std::vector<std::pair<std::string, std::string>>& xattrs);

// i_xattr_icount for an ibody of `ibody_size` bytes.
uint16_t XattrInodeCount(size_t ibody_size);

// Appends the ibody bytes.
void AppendXattrIbody(const std::vector<std::pair<std::string, std::string>>& xattrs,
                      std::string* out);

}  // namespace strato::rootfs::erofs
