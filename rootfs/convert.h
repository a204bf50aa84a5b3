#pragma once
// Public API of the EROFS writer: turns one OCI layer (tar, tar+gzip, tar+zstd) or one unpacked
// layer directory into an uncompressed EROFS image readable by Linux 6.1, without extracting
// anything to the host and without mkfs.erofs.
//
//   rootfs::ConvertResult r = rootfs::ConvertLayer(
//       rootfs::LayerSource::Tar("/blobs/sha256/ab..",
//       "application/vnd.oci.image.layer.v1.tar+gzip",
//                                "sha256:<diffID>"),
//       "/var/lib/strato/layers/<key>.erofs", {});
//
// Data is streamed once, in arrival order, straight into the output; only metadata is held in
// memory. Same input -> same bytes (the UUID derives from `digest`). Whiteouts become overlayfs
// whiteouts (see rootfs/whiteout.h), so stacking the images with
// `overlay lowerdir=top:...:bottom` applies the layer changesets. For caching, see
// rootfs/layer_cache.h (LayerCache::GetOrConvert).

#include <cstdint>
#include <functional>
#include <string>

#include "rootfs/whiteout.h"

namespace strato::rootfs {

struct LayerSource {
  enum class Kind { kTar, kDirectory };
  Kind kind = Kind::kTar;
  std::string path;
  // Tar only: the OCI media type ("application/vnd.oci.image.layer.v1.tar+gzip"...). Empty:
  // the compression is detected from the magic bytes alone; otherwise both must agree.
  std::string media_type;
  // "sha256:..." of the layer (diffID or blob digest); seeds the image UUID. May be empty.
  std::string digest;

  static LayerSource Tar(std::string path, std::string media_type = "", std::string digest = "");
  // A host directory tree (e.g. a containerd overlayfs snapshot). Whiteouts already in overlay
  // form (0:0 char devices, trusted.overlay.* xattrs) are kept as they are.
  static LayerSource Directory(std::string path);
};

struct ConvertProgress {
  uint64_t input_done = 0;   // bytes of the input consumed (compressed bytes for a tar)
  uint64_t input_total = 0;  // size of the input file (0 when unknown: directories)
  uint64_t entries = 0;
};

struct ConvertOptions {
  // Which xattr namespace whiteout/opaque markers use: trusted.overlay.* (default) or
  // user.overlay.* (for an overlay mounted with `userxattr`).
  OverlayXattrNamespace overlay_xattrs = OverlayXattrNamespace::kTrusted;
  // Upper bound on the uncompressed tar size (0 = none): a guard against decompression bombs.
  uint64_t max_tar_bytes = 0;
  // Called after each entry (callers throttle their output). May be empty.
  std::function<void(const ConvertProgress&)> progress;
};

struct ConvertResult {
  uint64_t entries = 0;  // tar entries or directory entries read
  uint64_t regular_files = 0;
  uint64_t directories = 0;
  uint64_t symlinks = 0;
  uint64_t special_files = 0;  // devices, fifos, sockets, whiteouts
  uint64_t hardlinks = 0;
  uint64_t whiteouts = 0;       // whiteouts and opaque markers applied
  uint64_t dropped_xattrs = 0;  // overlay control xattrs from the tar, unsupported namespaces
  uint64_t input_bytes = 0;     // bytes read from the input (compressed size for a tar)
  uint64_t data_bytes = 0;      // regular-file content bytes
  uint64_t image_bytes = 0;
  double seconds = 0;
};

// Converts `source` into an EROFS image at `output_path`: written under a temporary name in
// the same directory, fsynced, then renamed, so `output_path` is either absent or complete.
// Throws strato::Error (naming the entry and offset for bad tar input).
ConvertResult ConvertLayer(const LayerSource& source, const std::string& output_path,
                           const ConvertOptions& options);

// Lower level: writes the image into `fd` (from offset 0; the file is resized to the image).
// `scratch_dir` holds an unlinked scratch file for inline tails.
ConvertResult ConvertLayerToFd(const LayerSource& source, int fd, const std::string& scratch_dir,
                               const ConvertOptions& options);

// Converts a decompressed tar held in memory (tests, fuzzing).
ConvertResult ConvertTarBytes(const uint8_t* tar, size_t size, int fd,
                              const std::string& scratch_dir, const std::string& digest,
                              const ConvertOptions& options);

}  // namespace strato::rootfs
