#include "rootfs/erofs/image_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "rootfs/erofs/crc32c.h"
#include "rootfs/erofs/dir_layout.h"
#include "rootfs/erofs/format.h"
#include "rootfs/erofs/xattr_layout.h"

namespace strato::rootfs::erofs {

namespace {

constexpr uint32_t kNotVisited = std::numeric_limits<uint32_t>::max();
constexpr uint32_t kCompactMax16 = 0xFFFF;  // compact inode uid/gid/nlink are u16
constexpr uint16_t kModeTypeMask = 0170000;

// Everything the metadata pass decides about one inode.
struct InodePlan {
  InodeId id = 0;
  uint32_t parent = 0;  // order index of the parent directory (directories only)
  uint32_t nlink = 0;
  bool extended = false;
  uint16_t data_layout = kDataLayoutFlatPlain;
  uint32_t xattr_size = 0;
  uint32_t inline_size = 0;  // tail bytes packed after the xattrs
  uint64_t size = 0;
  uint32_t blkaddr = 0;       // i_u for data-carrying inodes
  uint32_t extra_blocks = 0;  // blocks this inode needs in the area after the metadata
  uint64_t nid = 0;
};

uint16_t ModeTypeBits(FileKind k) {
  switch (k) {
    case FileKind::kRegular:
      return 0100000;  // S_IFREG
    case FileKind::kDirectory:
      return 0040000;  // S_IFDIR
    case FileKind::kSymlink:
      return 0120000;  // S_IFLNK
    case FileKind::kCharDevice:
      return 0020000;  // S_IFCHR
    case FileKind::kBlockDevice:
      return 0060000;  // S_IFBLK
    case FileKind::kFifo:
      return 0010000;  // S_IFIFO
    case FileKind::kSocket:
      return 0140000;  // S_IFSOCK
  }
  return 0;
}

uint8_t DirentType(FileKind k) {
  switch (k) {
    case FileKind::kRegular:
      return kFtRegular;
    case FileKind::kDirectory:
      return kFtDirectory;
    case FileKind::kSymlink:
      return kFtSymlink;
    case FileKind::kCharDevice:
      return kFtCharDevice;
    case FileKind::kBlockDevice:
      return kFtBlockDevice;
    case FileKind::kFifo:
      return kFtFifo;
    case FileKind::kSocket:
      return kFtSocket;
  }
  return kFtUnknown;
}

// Linux new_encode_dev(): the rdev layout EROFS stores in i_u.
uint32_t EncodeRdev(uint32_t major, uint32_t minor) {
  return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

void Put16(std::string& s, size_t off, uint16_t v) {
  s[off] = static_cast<char>(v & 0xff);
  s[off + 1] = static_cast<char>(v >> 8);
}
void Put32(std::string& s, size_t off, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void Put64(std::string& s, size_t off, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[off + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>((v >> (8 * i)) & 0xff);
}

uint64_t BlocksFor(uint64_t bytes) {
  return (bytes + kBlockSize - 1) / kBlockSize;
}

class MetadataWriter {
 public:
  MetadataWriter(const FsTree& tree, FileDataWriter& data, ImageOutput& out)
      : tree_(tree), data_(data), out_(out) {}

  ImageStats Run(const std::array<uint8_t, 16>& uuid) {
    Traverse();
    ChooseBuildTime();
    PlanInodes();
    AssignNids();
    WriteAll();
    return WriteSuperblock(uuid);
  }

 private:
  // Breadth-first from the root, children in name order: fixes the NID order (root first, so
  // its NID is 0 and fits the 16-bit root_nid) and counts links.
  void Traverse() {
    order_of_.assign(tree_.size(), kNotVisited);
    order_of_[tree_.root()] = 0;
    plans_.push_back({});
    plans_[0].id = tree_.root();
    plans_[0].nlink = 2;
    for (size_t i = 0; i < plans_.size(); ++i) {
      const Inode& dir = tree_.at(plans_[i].id);
      if (dir.kind != FileKind::kDirectory) continue;
      for (const auto& [name, child] : dir.children) {
        const Inode& node = tree_.at(child);
        if (order_of_[child] == kNotVisited) {
          order_of_[child] = static_cast<uint32_t>(plans_.size());
          InodePlan p;
          p.id = child;
          p.parent = static_cast<uint32_t>(i);
          p.nlink = node.kind == FileKind::kDirectory ? 2 : 0;
          plans_.push_back(p);
        } else if (node.kind == FileKind::kDirectory) {
          throw Error("internal: directory linked twice in the image tree");
        }
        InodePlan& p = plans_[order_of_[child]];
        if (node.kind == FileKind::kDirectory) {
          ++plans_[i].nlink;  // the child's ".."
        } else {
          ++p.nlink;
        }
      }
    }
  }

  // Compact inodes carry no mtime of their own: they use the superblock's build time. Picking
  // the most common mtime lets most inodes be compact.
  void ChooseBuildTime() {
    std::map<std::pair<int64_t, uint32_t>, uint64_t> counts;
    for (const auto& p : plans_) {
      const Inode& n = tree_.at(p.id);
      ++counts[{n.mtime_sec, n.mtime_nsec}];
    }
    uint64_t best = 0;
    for (const auto& [time, count] : counts) {
      if (count > best) {
        best = count;
        build_time_ = time;
      }
    }
  }

  void SortedEntries(uint32_t index, std::vector<DirEntry>* out) const {
    const InodePlan& p = plans_[index];
    const Inode& dir = tree_.at(p.id);
    out->clear();
    out->reserve(dir.children.size() + 2);
    out->push_back({".", p.nid, kFtDirectory});
    out->push_back({"..", plans_[p.parent].nid, kFtDirectory});
    for (const auto& [name, child] : dir.children) {
      const InodePlan& c = plans_[order_of_[child]];
      out->push_back({name, c.nid, DirentType(tree_.at(child).kind)});
    }
    std::sort(out->begin(), out->end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
  }

  void PlanInodes() {
    std::vector<DirEntry> entries;
    for (uint32_t i = 0; i < plans_.size(); ++i) {
      InodePlan& p = plans_[i];
      const Inode& n = tree_.at(p.id);
      ValidateXattrs(n.xattrs);
      p.xattr_size = static_cast<uint32_t>(XattrIbodySize(n.xattrs));
      switch (n.kind) {
        case FileKind::kRegular:
          p.size = n.size;
          p.blkaddr = n.data.blkaddr;
          if (n.data.tail_in_scratch) {
            p.data_layout = kDataLayoutFlatInline;
            p.inline_size = n.data.tail_size;
          }
          break;
        case FileKind::kDirectory: {
          SortedEntries(i, &entries);
          DirPlan plan = PlanDirectory(entries);
          p.size = plan.size;
          uint32_t blocks = static_cast<uint32_t>(plan.block_first.size());
          p.extra_blocks = blocks;
          if (plan.last_block_bytes < kBlockSize) {
            p.inline_size = plan.last_block_bytes;
            p.extra_blocks = blocks - 1;
          }
          break;
        }
        case FileKind::kSymlink:
          p.size = n.symlink_target.size();
          p.inline_size = static_cast<uint32_t>(p.size);
          break;
        case FileKind::kCharDevice:
        case FileKind::kBlockDevice:
          p.blkaddr = EncodeRdev(n.rdev_major, n.rdev_minor);
          break;
        case FileKind::kFifo:
        case FileKind::kSocket:
          break;
      }
      p.extended = p.size > UINT32_MAX || n.uid > kCompactMax16 || n.gid > kCompactMax16 ||
                   p.nlink > kCompactMax16 ||
                   std::make_pair(n.mtime_sec, n.mtime_nsec) != build_time_;
      if (n.kind == FileKind::kDirectory || n.kind == FileKind::kSymlink) {
        if (p.inline_size > 0 && CoreSize(p) + p.xattr_size + p.inline_size <= kBlockSize) {
          p.data_layout = kDataLayoutFlatInline;
        } else if (p.inline_size > 0) {
          // Does not fit beside the inode: the tail gets a block of its own.
          p.inline_size = 0;
          p.extra_blocks = static_cast<uint32_t>(BlocksFor(p.size));
        }
      } else if (p.data_layout == kDataLayoutFlatInline &&
                 CoreSize(p) + p.xattr_size + p.inline_size > kBlockSize) {
        throw Error("internal: inline file tail does not fit one block");
      }
    }
  }

  static uint32_t CoreSize(const InodePlan& p) {
    return p.extended ? kExtendedInodeSize : kCompactInodeSize;
  }

  // Packs inode records into the NID space. A record (core + xattrs + inline tail) that fits one
  // block never straddles a block boundary: the kernel rejects inline data that does.
  void AssignNids() {
    uint64_t pos = 0;
    for (auto& p : plans_) {
      uint64_t record = CoreSize(p) + p.xattr_size + p.inline_size;
      pos = (pos + kInodeSlotSize - 1) / kInodeSlotSize * kInodeSlotSize;
      if (record <= kBlockSize && pos % kBlockSize + record > kBlockSize) {
        pos = BlocksFor(pos) * kBlockSize;
      }
      p.nid = pos / kInodeSlotSize;
      pos += record;
    }
    meta_bytes_ = pos;
    if (plans_[0].nid > kMaxRootNid) throw Error("internal: root NID out of range");
  }

  void WriteAll() {
    data_.FinishData();
    out_.PadToBlock();
    uint64_t meta_start = out_.position();
    meta_blkaddr_ = meta_start / kBlockSize;
    uint64_t extra_block = meta_blkaddr_ + BlocksFor(meta_bytes_);
    for (auto& p : plans_) {
      if (p.extra_blocks > 0) {
        p.blkaddr = static_cast<uint32_t>(extra_block);
        extra_block += p.extra_blocks;
      }
    }
    total_blocks_ = extra_block;
    if (total_blocks_ > UINT32_MAX) throw Error("EROFS image would exceed 2^32 blocks");

    std::vector<DirEntry> entries;
    std::string record;
    std::vector<uint8_t> tail(kBlockSize);
    for (uint32_t i = 0; i < plans_.size(); ++i) {
      const InodePlan& p = plans_[i];
      const Inode& n = tree_.at(p.id);
      uint64_t at = meta_start + p.nid * kInodeSlotSize;
      if (at < out_.position()) throw Error("internal: inode records overlap");
      out_.WriteZeros(at - out_.position());
      EncodeCore(p, n, i, &record);
      AppendXattrIbody(n.xattrs, &record);
      switch (n.kind) {
        case FileKind::kRegular:
          if (p.inline_size > 0) {
            data_.ReadTail(n.data, tail.data());
            record.append(reinterpret_cast<const char*>(tail.data()), p.inline_size);
          }
          break;
        case FileKind::kDirectory:
          WriteDirectory(i, &entries, &record);
          break;
        case FileKind::kSymlink:
          if (p.inline_size > 0) {
            record.append(n.symlink_target);
          } else {
            WriteExtra(p.blkaddr, n.symlink_target);
          }
          break;
        default:
          break;
      }
      out_.Write(record.data(), record.size());
    }
    out_.PadToBlock();
    out_.Flush();
  }

  void WriteDirectory(uint32_t index, std::vector<DirEntry>* entries, std::string* record) {
    const InodePlan& p = plans_[index];
    SortedEntries(index, entries);
    DirPlan plan = PlanDirectory(*entries);
    size_t blocks = plan.block_first.size();
    for (size_t b = 0; b < blocks; ++b) {
      std::string bytes = EncodeDirBlock(*entries, plan, b);
      bool inline_block = b + 1 == blocks && p.data_layout == kDataLayoutFlatInline;
      if (inline_block) {
        record->append(bytes);
      } else {
        WriteExtra(p.blkaddr + static_cast<uint32_t>(b), bytes);
      }
    }
  }

  void WriteExtra(uint64_t block, std::string bytes) {
    bytes.resize(BlocksFor(bytes.size()) * kBlockSize, '\0');
    out_.WriteAt(block * kBlockSize, bytes.data(), bytes.size());
  }

  void EncodeCore(const InodePlan& p, const Inode& n, uint32_t index, std::string* record) const {
    record->assign(CoreSize(p), '\0');
    std::string& r = *record;
    uint16_t format =
        static_cast<uint16_t>((p.extended ? kInodeLayoutExtended : kInodeLayoutCompact) |
                              (p.data_layout << kDataLayoutBit));
    uint16_t mode = static_cast<uint16_t>(ModeTypeBits(n.kind) | (n.mode & ~kModeTypeMask & 07777));
    Put16(r, 0, format);                         // i_format
    Put16(r, 2, XattrInodeCount(p.xattr_size));  // i_xattr_icount
    Put16(r, 4, mode);                           // i_mode
    uint32_t ino = index + 1;
    if (p.extended) {
      Put64(r, 8, p.size);                               // i_size
      Put32(r, 16, p.blkaddr);                           // i_u
      Put32(r, 20, ino);                                 // i_ino
      Put32(r, 24, n.uid);                               // i_uid
      Put32(r, 28, n.gid);                               // i_gid
      Put64(r, 32, static_cast<uint64_t>(n.mtime_sec));  // i_mtime
      Put32(r, 40, n.mtime_nsec);                        // i_mtime_nsec
      Put32(r, 44, p.nlink);                             // i_nlink
    } else {
      Put16(r, 6, static_cast<uint16_t>(p.nlink));  // i_nlink
      Put32(r, 8, static_cast<uint32_t>(p.size));   // i_size
      Put32(r, 16, p.blkaddr);                      // i_u
      Put32(r, 20, ino);                            // i_ino
      Put16(r, 24, static_cast<uint16_t>(n.uid));   // i_uid
      Put16(r, 26, static_cast<uint16_t>(n.gid));   // i_gid
    }
  }

  ImageStats WriteSuperblock(const std::array<uint8_t, 16>& uuid) {
    std::vector<uint8_t> block(kBlockSize, 0);
    uint8_t* sb = block.data() + kSuperblockOffset;
    Put32(sb + kSbMagic, kSuperMagic);
    Put32(sb + kSbFeatureCompat, kFeatureCompatSbChecksum | kFeatureCompatMtime);
    sb[kSbBlkSzBits] = kBlockSizeBits;
    sb[kSbRootNid] = static_cast<uint8_t>(plans_[0].nid & 0xff);
    sb[kSbRootNid + 1] = static_cast<uint8_t>(plans_[0].nid >> 8);
    uint64_t inos = plans_.size();
    for (int i = 0; i < 8; ++i) sb[kSbInodeCount + i] = static_cast<uint8_t>(inos >> (8 * i));
    uint64_t build_time = static_cast<uint64_t>(build_time_.first);
    for (int i = 0; i < 8; ++i) sb[kSbBuildTime + i] = static_cast<uint8_t>(build_time >> (8 * i));
    Put32(sb + kSbBuildTimeNsec, build_time_.second);
    Put32(sb + kSbBlocks, static_cast<uint32_t>(total_blocks_));
    Put32(sb + kSbMetaBlkAddr, static_cast<uint32_t>(meta_blkaddr_));
    Put32(sb + kSbXattrBlkAddr, 0);
    std::memcpy(sb + kSbUuid, uuid.data(), kSbUuidSize);
    uint32_t crc = Crc32c(~0u, block.data() + kSuperblockOffset, kBlockSize - kSuperblockOffset);
    Put32(sb + kSbChecksum, crc);
    out_.WriteAt(0, block.data(), block.size());
    uint64_t image_bytes = total_blocks_ * kBlockSize;
    if (::ftruncate(out_.fd(), static_cast<off_t>(image_bytes)) != 0)
      ThrowErrno("resize EROFS image");

    ImageStats stats;
    stats.inodes = inos;
    stats.blocks = total_blocks_;
    stats.image_bytes = image_bytes;
    for (const auto& p : plans_) {
      switch (tree_.at(p.id).kind) {
        case FileKind::kRegular:
          ++stats.regular_files;
          break;
        case FileKind::kDirectory:
          ++stats.directories;
          break;
        case FileKind::kSymlink:
          ++stats.symlinks;
          break;
        default:
          ++stats.special_files;
      }
    }
    return stats;
  }

  const FsTree& tree_;
  FileDataWriter& data_;
  ImageOutput& out_;
  std::vector<uint32_t> order_of_;  // InodeId -> index in plans_
  std::vector<InodePlan> plans_;
  std::pair<int64_t, uint32_t> build_time_{0, 0};
  uint64_t meta_bytes_ = 0;
  uint64_t meta_blkaddr_ = 0;
  uint64_t total_blocks_ = 0;
};

}  // namespace

ImageStats WriteImageMetadata(const FsTree& tree, FileDataWriter& data, ImageOutput& out,
                              const std::array<uint8_t, 16>& uuid) {
  MetadataWriter writer(tree, data, out);
  return writer.Run(uuid);
}

}  // namespace strato::rootfs::erofs
