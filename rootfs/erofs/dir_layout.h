#pragma once
// Directory data: blocks of erofs_dirent records followed by their names (fs/erofs/erofs_fs.h
// struct erofs_dirent). Entries, "." and ".." included, are sorted by memcmp order over the
// whole directory (lookup binary-searches blocks, then entries). A record that does not fit in
// the rest of a block starts the next one; unused block space is zero so the last name's length
// ends at the first NUL.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strato::rootfs::erofs {

struct DirEntry {
  std::string_view name;
  uint64_t nid;
  uint8_t file_type;  // EROFS_FT_*
};

struct DirPlan {
  std::vector<uint32_t> block_first;  // index of the first entry in each block
  uint32_t last_block_bytes = 0;      // bytes used in the last block
  uint64_t size = 0;                  // i_size: full blocks + used part of the last
};

// Splits sorted entry names into blocks.
DirPlan PlanDirectory(const std::vector<DirEntry>& sorted);

// Encodes block `block` of the plan (exactly the used bytes; callers pad with zeros).
std::string EncodeDirBlock(const std::vector<DirEntry>& sorted, const DirPlan& plan, size_t block);

}  // namespace strato::rootfs::erofs
