#pragma once
// Feeds a host directory tree into the image: the same writer as for tars. Used for unpacked
// layers (containerd's overlayfs snapshotter), whose whiteouts are already in overlay form and
// are kept as they are. Symlinks are never followed; hardlinks (same st_dev/st_ino) share one
// inode; xattrs are copied (namespaces EROFS cannot store are dropped).

#include <functional>
#include <string>

#include "rootfs/erofs/file_data_writer.h"
#include "rootfs/fs_tree.h"
#include "rootfs/tar_source.h"

namespace strato::rootfs {

void AddDirectoryLayer(const std::string& root, FsTree& tree, erofs::FileDataWriter& data,
                       SourceCounters* counters, const std::function<void()>& on_entry);

}  // namespace strato::rootfs
