#pragma once
// Feeds one layer tar into the image: each entry is normalised (rootfs/tar/tar_path.h), mapped
// to its overlayfs form (whiteouts), added to the tree with the OCI rules (LayerBuilder), and
// its data streamed straight into the image (FileDataWriter).

#include <cstdint>
#include <functional>

#include "rootfs/erofs/file_data_writer.h"
#include "rootfs/layer_builder.h"
#include "rootfs/tar/tar_reader.h"

namespace strato::rootfs {

struct SourceCounters {
  uint64_t entries = 0;
  uint64_t hardlinks = 0;
  uint64_t dropped_xattrs = 0;  // overlay control xattrs and namespaces EROFS cannot store
  uint64_t data_bytes = 0;
};

// Filters xattrs coming from untrusted input: drops trusted.overlay.* / user.overlay.* and names
// EROFS cannot store, then checks sizes (throws with the reason). Returns them sorted by name.
std::vector<std::pair<std::string, std::string>> FilterLayerXattrs(
    std::vector<std::pair<std::string, std::string>> xattrs, bool keep_overlay,
    SourceCounters* counters);

// Reads every entry of `reader`. `on_entry` (may be empty) is called after each entry.
void AddTarLayer(TarReader& reader, LayerBuilder& builder, erofs::FileDataWriter& data,
                 SourceCounters* counters, const std::function<void()>& on_entry);

}  // namespace strato::rootfs
