#include "rootfs/tar/byte_source.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/erofs/format.h"

namespace strato::rootfs {

namespace {

// Magic numbers: RFC 1952 section 2.3.1 (gzip ID1 ID2), RFC 8878 section 3.1.1 (zstd frame).
constexpr uint8_t kGzipMagic[] = {0x1f, 0x8b};
constexpr uint8_t kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};
// Compressed input is read in chunks of this size.
constexpr size_t kInputChunk = 128 * 1024;
// zlib: 15-bit window plus 16 selects the gzip wrapper (inflateInit2 documentation).
constexpr int kGzipWindowBits = 15 + 16;

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(ByteSource& inner) : inner_(inner), in_(kInputChunk) {
    std::memset(&zs_, 0, sizeof(zs_));
    if (inflateInit2(&zs_, kGzipWindowBits) != Z_OK) throw Error("gzip: cannot initialise zlib");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  size_t Read(uint8_t* buf, size_t n) override {
    if (n == 0 || done_) return 0;
    zs_.next_out = buf;
    zs_.avail_out = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    while (zs_.avail_out > 0) {
      if (zs_.avail_in == 0) {
        size_t got = inner_.Read(in_.data(), in_.size());
        if (got == 0) {
          if (member_started_) throw Error("gzip: compressed stream ends early (truncated layer)");
          done_ = true;
          break;
        }
        zs_.next_in = in_.data();
        zs_.avail_in = static_cast<uInt>(got);
      }
      member_started_ = true;
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        // Another gzip member may follow (concatenated gzip); trailing zeros are tolerated.
        member_started_ = false;
        inflateReset(&zs_);
        SkipZeroPadding();
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw Error(std::string("gzip: corrupt data: ") + (zs_.msg != nullptr ? zs_.msg : "error"));
      }
    }
    return n - zs_.avail_out;
  }

 private:
  void SkipZeroPadding() {
    while (zs_.avail_in > 0 && *zs_.next_in == 0) {
      ++zs_.next_in;
      --zs_.avail_in;
    }
  }

  ByteSource& inner_;
  std::vector<uint8_t> in_;
  z_stream zs_;
  bool member_started_ = false;
  bool done_ = false;
};

class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(ByteSource& inner) : inner_(inner), in_(ZSTD_DStreamInSize()) {
    ds_ = ZSTD_createDStream();
    if (ds_ == nullptr) throw Error("zstd: cannot create a decompression stream");
    // Bound the window so a hostile frame cannot make us allocate gigabytes (27 = 128 MiB, the
    // zstd CLI's default limit).
    ZSTD_DCtx_setParameter(ds_, ZSTD_d_windowLogMax, kMaxWindowLog);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }

  size_t Read(uint8_t* buf, size_t n) override {
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos < out.size) {
      if (in_pos_ == in_size_) {
        in_size_ = inner_.Read(in_.data(), in_.size());
        in_pos_ = 0;
        if (in_size_ == 0) {
          if (mid_frame_) throw Error("zstd: compressed stream ends early (truncated layer)");
          break;
        }
      }
      ZSTD_inBuffer in{in_.data(), in_size_, in_pos_};
      size_t rc = ZSTD_decompressStream(ds_, &out, &in);
      in_pos_ = in.pos;
      if (ZSTD_isError(rc))
        throw Error(std::string("zstd: corrupt data: ") + ZSTD_getErrorName(rc));
      mid_frame_ = rc != 0;
    }
    return out.pos;
  }

 private:
  static constexpr int kMaxWindowLog = 27;
  ByteSource& inner_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  size_t in_size_ = 0;
  ZSTD_DStream* ds_ = nullptr;
  bool mid_frame_ = false;
};

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

size_t FdSource::Read(uint8_t* buf, size_t n) {
  for (;;) {
    ssize_t got = ::read(fd_, buf, n);
    if (got >= 0) {
      bytes_read_ += static_cast<uint64_t>(got);
      return static_cast<size_t>(got);
    }
    if (errno != EINTR) ThrowErrno("read layer");
  }
}

size_t MemorySource::Read(uint8_t* buf, size_t n) {
  size_t take = std::min(n, size_ - pos_);
  if (take > 0) std::memcpy(buf, data_ + pos_, take);
  pos_ += take;
  return take;
}

size_t LimitedSource::Read(uint8_t* buf, size_t n) {
  size_t got = inner_.Read(buf, n);
  done_ += got;
  if (done_ > limit_) {
    throw Error("uncompressed layer exceeds the limit of " + std::to_string(limit_) + " bytes");
  }
  return got;
}

size_t PrefixedSource::Read(uint8_t* buf, size_t n) {
  if (pos_ < head_.size()) {
    size_t take = std::min(n, head_.size() - pos_);
    std::memcpy(buf, head_.data() + pos_, take);
    pos_ += take;
    return take;
  }
  return rest_.Read(buf, n);
}

std::unique_ptr<ByteSource> MakeGzipSource(ByteSource& inner) {
  return std::make_unique<GzipSource>(inner);
}

std::unique_ptr<ByteSource> MakeZstdSource(ByteSource& inner) {
  return std::make_unique<ZstdSource>(inner);
}

LayerCompression DetectCompression(const uint8_t* head, size_t size) {
  if (StartsWith(head, size, kGzipMagic, sizeof(kGzipMagic))) return LayerCompression::kGzip;
  if (StartsWith(head, size, kZstdMagic, sizeof(kZstdMagic))) return LayerCompression::kZstd;
  return LayerCompression::kNone;
}

LayerFormat DetectLayerFormat(const std::string& path) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY | O_CLOEXEC);
  uint8_t head[erofs::kSuperblockOffset + 4] = {};
  ssize_t got = ::pread(fd.get(), head, sizeof(head), 0);
  if (got < 0) ThrowErrno("read " + path);
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
  if (EndsWith(media_type, "tar+zstd")) return LayerCompression::kZstd;
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
