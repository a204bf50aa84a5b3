#include "rootfs/erofs/dir_layout.h"

#include "rootfs/erofs/format.h"

namespace strato::rootfs::erofs {

DirPlan PlanDirectory(const std::vector<DirEntry>& sorted) {
  DirPlan plan;
  uint32_t used = 0;
  for (uint32_t i = 0; i < sorted.size(); ++i) {
    uint32_t need = kDirentSize + static_cast<uint32_t>(sorted[i].name.size());
    if (plan.block_first.empty() || used + need > kBlockSize) {
      plan.block_first.push_back(i);
      used = 0;
    }
    used += need;
  }
  plan.last_block_bytes = used;
  plan.size = plan.block_first.empty()
                  ? 0
                  : static_cast<uint64_t>(plan.block_first.size() - 1) * kBlockSize + used;
  return plan;
}

std::string EncodeDirBlock(const std::vector<DirEntry>& sorted, const DirPlan& plan, size_t block) {
  size_t first = plan.block_first[block];
  size_t end = block + 1 < plan.block_first.size() ? plan.block_first[block + 1] : sorted.size();
  std::string out;
  size_t nameoff = (end - first) * kDirentSize;
  for (size_t i = first; i < end; ++i) {
    uint64_t nid = sorted[i].nid;
    for (int b = 0; b < 8; ++b) out.push_back(static_cast<char>((nid >> (8 * b)) & 0xff));
    out.push_back(static_cast<char>(nameoff & 0xff));
    out.push_back(static_cast<char>(nameoff >> 8));
    out.push_back(static_cast<char>(sorted[i].file_type));
    out.push_back('\0');
    nameoff += sorted[i].name.size();
  }
  for (size_t i = first; i < end; ++i) out.append(sorted[i].name);
  return out;
}

}  // namespace strato::rootfs::erofs
