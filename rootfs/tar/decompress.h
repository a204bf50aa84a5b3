#pragma once
// gzip (zlib) and zstd (libzstd) decoders over a ByteSource. Concatenated gzip members and zstd
// frames read as one stream, as `gzip -d` / `zstd -d` do; a stream cut short is an error.

#include <memory>

#include "rootfs/tar/byte_source.h"

namespace strato::rootfs {

// Wraps `inner` (a compressed stream, not owned) and yields decompressed bytes.
std::unique_ptr<ByteSource> MakeGzipSource(ByteSource& inner);
std::unique_ptr<ByteSource> MakeZstdSource(ByteSource& inner);

}  // namespace strato::rootfs
