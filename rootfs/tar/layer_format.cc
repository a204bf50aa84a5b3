#include "rootfs/tar/layer_format.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/erofs/format.h"
#include "rootfs/tar/decompress.h"

namespace strato::rootfs {

namespace {

// Magic numbers: RFC 1952 section 2.3.1 (gzip ID1 ID2), RFC 8878 section 3.1.1 (zstd frame).
constexpr uint8_t kGzipMagic[] = {0x1f, 0x8b};
constexpr uint8_t kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

// Owns the prefix replay and the decoder stacked on it.
class OwnedChain : public ByteSource {
 public:
  OwnedChain(std::unique_ptr<PrefixedSource> prefixed, std::unique_ptr<ByteSource> decoder)
      : prefixed_(std::move(prefixed)), decoder_(std::move(decoder)) {}
  size_t Read(uint8_t* buf, size_t n) override {
    return decoder_ ? decoder_->Read(buf, n) : prefixed_->Read(buf, n);
  }

 private:
  std::unique_ptr<PrefixedSource> prefixed_;
  std::unique_ptr<ByteSource> decoder_;
};

bool StartsWith(const uint8_t* head, size_t size, const uint8_t* magic, size_t magic_size) {
  return size >= magic_size && std::memcmp(head, magic, magic_size) == 0;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

const char* CompressionName(LayerCompression c) {
  switch (c) {
    case LayerCompression::kGzip:
      return "gzip";
    case LayerCompression::kZstd:
      return "zstd";
    case LayerCompression::kNone:
      break;
  }
  return "uncompressed";
}

}  // namespace

LayerCompression DetectCompression(const uint8_t* head, size_t size) {
  if (StartsWith(head, size, kGzipMagic, sizeof(kGzipMagic))) return LayerCompression::kGzip;
  if (StartsWith(head, size, kZstdMagic, sizeof(kZstdMagic))) return LayerCompression::kZstd;
  return LayerCompression::kNone;
}

LayerFormat DetectLayerFormat(const std::string& path) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_CLOEXEC);
  return DetectLayerFormat(fd.get(), 0, UINT64_MAX, path);
}

LayerFormat DetectLayerFormat(int fd, uint64_t offset, uint64_t length, const std::string& what) {
  uint8_t head[erofs::kSuperblockOffset + 4] = {};
  size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof(head), length));
  ssize_t got = ::pread(fd, head, want, static_cast<off_t>(offset));
  if (got < 0) ThrowErrno("read " + what);
  size_t n = static_cast<size_t>(got);
  if (n == sizeof(head)) {
    uint32_t magic = static_cast<uint32_t>(head[erofs::kSuperblockOffset]) |
                     static_cast<uint32_t>(head[erofs::kSuperblockOffset + 1]) << 8 |
                     static_cast<uint32_t>(head[erofs::kSuperblockOffset + 2]) << 16 |
                     static_cast<uint32_t>(head[erofs::kSuperblockOffset + 3]) << 24;
    if (magic == erofs::kSuperMagic) return LayerFormat::kErofs;
  }
  switch (DetectCompression(head, n)) {
    case LayerCompression::kGzip:
      return LayerFormat::kGzipTar;
    case LayerCompression::kZstd:
      return LayerFormat::kZstdTar;
    case LayerCompression::kNone:
      break;
  }
  return LayerFormat::kTar;
}

LayerCompression CompressionFromMediaType(const std::string& media_type, bool* known) {
  *known = true;
  if (EndsWith(media_type, "tar+gzip") || EndsWith(media_type, "tar.gzip")) {
    return LayerCompression::kGzip;
  }
  if (EndsWith(media_type, "tar+zstd") || EndsWith(media_type, "tar.zstd")) {
    return LayerCompression::kZstd;
  }
  if (EndsWith(media_type, ".tar") || EndsWith(media_type, "/tar")) return LayerCompression::kNone;
  *known = false;
  return LayerCompression::kNone;
}

std::unique_ptr<ByteSource> OpenTarStream(ByteSource& raw, const std::string& media_type,
                                          const std::string& what) {
  std::string head(sizeof(kZstdMagic), '\0');
  size_t have = 0;
  while (have < head.size()) {
    size_t got = raw.Read(reinterpret_cast<uint8_t*>(head.data()) + have, head.size() - have);
    if (got == 0) break;
    have += got;
  }
  head.resize(have);
  LayerCompression sniffed =
      DetectCompression(reinterpret_cast<const uint8_t*>(head.data()), head.size());
  if (!media_type.empty()) {
    bool known = false;
    LayerCompression declared = CompressionFromMediaType(media_type, &known);
    if (!known) throw Error(what + ": unsupported layer media type \"" + media_type + "\"");
    if (declared != sniffed) {
      throw Error(what + ": media type \"" + media_type + "\" says " + CompressionName(declared) +
                  " but the data is " + CompressionName(sniffed));
    }
  }
  auto prefixed = std::make_unique<PrefixedSource>(std::move(head), raw);
  std::unique_ptr<ByteSource> decoder;
  if (sniffed == LayerCompression::kGzip) decoder = MakeGzipSource(*prefixed);
  if (sniffed == LayerCompression::kZstd) decoder = MakeZstdSource(*prefixed);
  return std::make_unique<OwnedChain>(std::move(prefixed), std::move(decoder));
}

}  // namespace strato::rootfs
