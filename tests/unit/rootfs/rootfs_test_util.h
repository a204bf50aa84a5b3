#pragma once
// Helpers shared by the rootfs unit tests: read a tar fully, or build the image tree from it.

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "rootfs/erofs/file_data_writer.h"
#include "rootfs/erofs/image_output.h"
#include "rootfs/layer_builder.h"
#include "rootfs/tar/tar_reader.h"
#include "rootfs/tar_source.h"

namespace strato::rootfs::testing {

struct ReadEntry {
  TarEntry entry;
  std::string data;
};

inline std::vector<ReadEntry> ReadTar(const std::string& tar) {
  MemorySource src(reinterpret_cast<const uint8_t*>(tar.data()), tar.size());
  TarReader reader(src);
  std::vector<ReadEntry> out;
  TarEntry e;
  while (reader.Next(&e)) {
    ReadEntry r{e, {}};
    for (auto c = reader.ReadData(); !c.empty(); c = reader.ReadData()) {
      r.data.append(reinterpret_cast<const char*>(c.data()), c.size());
    }
    out.push_back(std::move(r));
  }
  return out;
}

// Applies a tar to a tree (file data goes to an anonymous memory file).
struct TreeFromTar {
  explicit TreeFromTar(const std::string& tar,
                       OverlayXattrNamespace ns = OverlayXattrNamespace::kTrusted)
      : fd(::memfd_create("image", 0)), out(fd.get(), 4096), data(out, "/tmp"), builder(tree, ns) {
    MemorySource src(reinterpret_cast<const uint8_t*>(tar.data()), tar.size());
    TarReader reader(src);
    AddTarLayer(reader, builder, data, &counters, {});
  }

  // The inode at a "/"-separated path, or nullptr.
  const Inode* Find(const std::string& path) const {
    InodeId id = tree.root();
    size_t start = 0;
    while (start < path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string::npos) end = path.size();
      auto child = tree.Child(id, path.substr(start, end - start));
      if (!child) return nullptr;
      id = *child;
      start = end + 1;
    }
    return &tree.at(id);
  }

  std::string Xattr(const std::string& path, const std::string& name) const {
    const Inode* n = Find(path);
    if (n == nullptr) return "<no file>";
    for (const auto& [k, v] : n->xattrs) {
      if (k == name) return v;
    }
    return "<none>";
  }

  UniqueFd fd;
  FsTree tree;
  erofs::ImageOutput out;
  erofs::FileDataWriter data;
  LayerBuilder builder;
  SourceCounters counters;
};

}  // namespace strato::rootfs::testing
