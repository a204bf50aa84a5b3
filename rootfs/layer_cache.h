#pragma once
// Content-addressed store of converted layers (default /var/lib/strato/layers, or
// $STRATO_LAYER_CACHE): one `<key>.erofs` per layer.
//
//   rootfs::LayerCache cache(rootfs::LayerCache::DefaultDir());
//   rootfs::CachedLayer l = cache.GetOrConvert(
//       rootfs::LayerSource::Tar(blob_path, media_type, "sha256:<diffID>"), {});
//   // l.path: the EROFS image to attach read-only (virtio-blk)
//
// Keys: a tar layer's digest (its diffID, or the blob digest; without one the file is hashed);
// a directory's key changes when the directory is replaced (device, inode, ctime, mtime). The
// overlay xattr namespace is part of the key. Images are written under a temporary name,
// fsynced and renamed (rootfs::ConvertLayer); an flock on `<key>.lock` makes concurrent requests
// for the same layer convert once; leftovers of a crashed conversion are never served and are
// removed by the next conversion of that key. A layer that already is EROFS (magic checked) is
// returned as it is, without copying.

#include <string>

#include "rootfs/convert.h"

namespace strato::rootfs {

struct CachedLayer {
  std::string path;          // the image to attach
  bool converted = false;    // true when this call did the conversion
  bool passthrough = false;  // the source already was an EROFS image
  ConvertResult result;      // filled when converted
};

class LayerCache {
 public:
  // Creates `dir` (and parents) if missing.
  explicit LayerCache(std::string dir);

  // $STRATO_LAYER_CACHE if set, else /var/lib/strato/layers.
  static std::string DefaultDir();

  // The cache key of a source ("sha256-<hex>", "dir-<hex>", plus "-userxattr" when the overlay
  // markers use user.*). Throws for a malformed digest.
  std::string KeyFor(const LayerSource& source, const ConvertOptions& options) const;
  std::string ImagePath(const std::string& key) const { return dir_ + "/" + key + ".erofs"; }

  CachedLayer GetOrConvert(const LayerSource& source, const ConvertOptions& options);

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

// True when `path` is a file starting with an EROFS superblock (magic at byte 1024).
bool HasErofsMagic(const std::string& path);

}  // namespace strato::rootfs
