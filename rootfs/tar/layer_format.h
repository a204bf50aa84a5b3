#pragma once
// What a layer blob is (tar, gzip, zstd, or already an EROFS image) from its magic bytes and OCI
// media type, and the decompressed tar stream over it.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "rootfs/tar/byte_source.h"

namespace strato::rootfs {

// Compression of a layer blob, from its first bytes (and media type).
enum class LayerCompression { kNone, kGzip, kZstd };
// What a layer file holds, from its magic bytes.
enum class LayerFormat { kTar, kGzipTar, kZstdTar, kErofs };

// Detects the compression from the first bytes of a blob (gzip 1f 8b, zstd 28 b5 2f fd).
LayerCompression DetectCompression(const uint8_t* head, size_t size);

// Detects what a layer file (or the blob at `offset`, `length` bytes, inside it) is: tar, gzip,
// zstd, or an EROFS image (magic at byte 1024 of the blob).
LayerFormat DetectLayerFormat(const std::string& path);
LayerFormat DetectLayerFormat(int fd, uint64_t offset, uint64_t length, const std::string& what);

// The compression an OCI or Docker layer media type names ("...tar+gzip", "...tar.gzip",
// "...tar+zstd", "...tar.zstd", "...tar"); *known is false for anything else.
LayerCompression CompressionFromMediaType(const std::string& media_type, bool* known);

// Opens a decompressed tar stream over `raw`: sniffs the magic, checks it against `media_type`
// (may be empty), and returns the right decoder. The returned source reads from `raw`; `what`
// names the layer in errors.
std::unique_ptr<ByteSource> OpenTarStream(ByteSource& raw, const std::string& media_type,
                                          const std::string& what);

}  // namespace strato::rootfs
