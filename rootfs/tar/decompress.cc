#include "rootfs/tar/decompress.h"

#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"

namespace strato::rootfs {

namespace {

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

}  // namespace

std::unique_ptr<ByteSource> MakeGzipSource(ByteSource& inner) {
  return std::make_unique<GzipSource>(inner);
}

std::unique_ptr<ByteSource> MakeZstdSource(ByteSource& inner) {
  return std::make_unique<ZstdSource>(inner);
}

}  // namespace strato::rootfs
