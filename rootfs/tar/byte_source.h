#pragma once
// Sequential byte streams for layer input: a file, and gzip / zstd decompressors on top of one.
// OpenLayerStream() picks the decompressor from the magic bytes (and checks the media type when
// one is given), so callers read a plain tar whatever the layer's compression.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace strato::rootfs {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `buf`; returns 0 only at end of stream. Throws strato::Error.
  virtual size_t Read(uint8_t* buf, size_t n) = 0;
};

// Compression of a layer blob, from its first bytes (and media type).
enum class LayerCompression { kNone, kGzip, kZstd };
// What a layer file holds, from its magic bytes.
enum class LayerFormat { kTar, kGzipTar, kZstdTar, kErofs };

// Reads from an fd (not owned); counts the bytes read so callers can report progress.
class FdSource : public ByteSource {
 public:
  explicit FdSource(int fd) : fd_(fd) {}
  size_t Read(uint8_t* buf, size_t n) override;
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  int fd_;
  uint64_t bytes_read_ = 0;
};

// Reads from an in-memory buffer (tests, fuzzing).
class MemorySource : public ByteSource {
 public:
  MemorySource(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  size_t Read(uint8_t* buf, size_t n) override;

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Wraps `inner` (a compressed stream) and yields decompressed bytes. Concatenated gzip members and
// zstd frames are read as one stream, as `gzip -d` / `zstd -d` do.
std::unique_ptr<ByteSource> MakeGzipSource(ByteSource& inner);
std::unique_ptr<ByteSource> MakeZstdSource(ByteSource& inner);

// Detects the compression from the first bytes of a blob (gzip 1f 8b, zstd 28 b5 2f fd).
LayerCompression DetectCompression(const uint8_t* head, size_t size);

// Detects what a layer file is: tar, gzip, zstd, or an EROFS image (magic at byte 1024).
LayerFormat DetectLayerFormat(const std::string& path);

// The compression an OCI media type names ("...tar+gzip", "...tar+zstd", "...tar"), or nullopt
// when the type is empty or unknown. Throws for a media type that is clearly not a layer tar.
LayerCompression CompressionFromMediaType(const std::string& media_type, bool* known);

// Passes `inner` through but throws strato::Error once more than `limit` bytes were read (a
// guard against decompression bombs).
class LimitedSource : public ByteSource {
 public:
  LimitedSource(ByteSource& inner, uint64_t limit) : inner_(inner), limit_(limit) {}
  size_t Read(uint8_t* buf, size_t n) override;

 private:
  ByteSource& inner_;
  uint64_t limit_;
  uint64_t done_ = 0;
};

// A source that first replays `head` (bytes already consumed for magic detection) then `rest`.
class PrefixedSource : public ByteSource {
 public:
  PrefixedSource(std::string head, ByteSource& rest) : head_(std::move(head)), rest_(rest) {}
  size_t Read(uint8_t* buf, size_t n) override;

 private:
  std::string head_;
  size_t pos_ = 0;
  ByteSource& rest_;
};

// Opens a decompressed tar stream over `raw`: sniffs the magic, checks it against `media_type`
// (may be empty), and returns the right decoder. The returned source reads from `raw`.
std::unique_ptr<ByteSource> OpenTarStream(ByteSource& raw, const std::string& media_type,
                                          const std::string& what);

}  // namespace strato::rootfs
