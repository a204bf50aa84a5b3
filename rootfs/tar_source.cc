#include "rootfs/tar_source.h"

#include <algorithm>

#include "common/error.h"
#include "rootfs/erofs/xattr_layout.h"
#include "rootfs/tar/tar_path.h"

namespace strato::rootfs {

namespace {

FileKind KindOf(TarEntryType t) {
  switch (t) {
    case TarEntryType::kDirectory:
      return FileKind::kDirectory;
    case TarEntryType::kSymlink:
      return FileKind::kSymlink;
    case TarEntryType::kCharDevice:
      return FileKind::kCharDevice;
    case TarEntryType::kBlockDevice:
      return FileKind::kBlockDevice;
    case TarEntryType::kFifo:
      return FileKind::kFifo;
    case TarEntryType::kRegular:
    case TarEntryType::kHardlink:
      break;
  }
  return FileKind::kRegular;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> FilterLayerXattrs(
    std::vector<std::pair<std::string, std::string>> xattrs, bool keep_overlay,
    SourceCounters* counters) {
  std::vector<std::pair<std::string, std::string>> kept;
  for (auto& x : xattrs) {
    if ((!keep_overlay && IsOverlayControlXattr(x.first)) || !erofs::EncodeXattrName(x.first)) {
      ++counters->dropped_xattrs;
      continue;
    }
    kept.push_back(std::move(x));
  }
  // Later duplicates win; order by name for deterministic output.
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, std::string>> unique;
  for (auto& x : kept) {
    if (!unique.empty() && unique.back().first == x.first) {
      unique.back().second = std::move(x.second);
    } else {
      unique.push_back(std::move(x));
    }
  }
  erofs::ValidateXattrs(unique);
  return unique;
}

void AddTarLayer(TarReader& reader, LayerBuilder& builder, erofs::FileDataWriter& data,
                 SourceCounters* counters, const std::function<void()>& on_entry) {
  TarEntry entry;
  while (reader.Next(&entry)) {
    ++counters->entries;
    std::string what = "tar entry \"" + entry.path + "\" at offset " + std::to_string(entry.offset);
    std::vector<std::string> path;
    try {
      path = NormalizeLayerPath(entry.path);
    } catch (const Error& e) {
      throw Error(what + ": " + e.what());
    }
    if (builder.ApplyWhiteoutName(path, what)) {
      if (on_entry) on_entry();
      continue;
    }
    if (entry.type == TarEntryType::kHardlink) {
      std::vector<std::string> target;
      try {
        target = NormalizeLayerPath(entry.linkname);
      } catch (const Error& e) {
        throw Error(what + ": hardlink target: " + e.what());
      }
      builder.Link(path, target, what);
      ++counters->hardlinks;
      if (on_entry) on_entry();
      continue;
    }
    Inode inode;
    inode.kind = KindOf(entry.type);
    inode.mode = entry.mode;
    inode.uid = entry.uid;
    inode.gid = entry.gid;
    inode.mtime_sec = entry.mtime_sec;
    inode.mtime_nsec = entry.mtime_nsec;
    try {
      inode.xattrs = FilterLayerXattrs(std::move(entry.xattrs), false, counters);
    } catch (const Error& e) {
      throw Error(what + ": " + e.what());
    }
    switch (inode.kind) {
      case FileKind::kRegular: {
        inode.size = entry.size;
        size_t xattr_size = erofs::XattrIbodySize(inode.xattrs);
        data.Begin(entry.size, erofs::TailCanBeInline(entry.size, xattr_size));
        for (auto chunk = reader.ReadData(); !chunk.empty(); chunk = reader.ReadData()) {
          data.Append(chunk);
        }
        inode.data = data.End();
        counters->data_bytes += entry.size;
        break;
      }
      case FileKind::kSymlink:
        if (entry.linkname.empty()) throw Error(what + ": symlink with an empty target");
        if (entry.linkname.size() > kMaxPathLength) throw Error(what + ": symlink target too long");
        inode.symlink_target = entry.linkname;
        break;
      case FileKind::kCharDevice:
      case FileKind::kBlockDevice:
        inode.rdev_major = entry.dev_major;
        inode.rdev_minor = entry.dev_minor;
        break;
      default:
        break;
    }
    builder.Place(path, std::move(inode), what);
    if (on_entry) on_entry();
  }
}

}  // namespace strato::rootfs
