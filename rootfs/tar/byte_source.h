#pragma once
// Sequential byte streams for layer input: a byte range of a file, memory, and pass-through
// wrappers (size limit, SHA-256, replay of sniffed bytes). Decoders: rootfs/tar/decompress.h;
// format detection and the tar stream over a blob: rootfs/tar/layer_format.h.

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

// Reads `length` bytes of an fd (not owned) from `offset` (a blob inside an image archive, or a
// whole file); counts the bytes read so callers can report progress. Throws if the file ends
// before `length` bytes.
class FdSource : public ByteSource {
 public:
  FdSource(int fd, uint64_t offset, uint64_t length) : fd_(fd), offset_(offset), length_(length) {}
  size_t Read(uint8_t* buf, size_t n) override;
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  int fd_;
  uint64_t offset_;
  uint64_t length_;
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

// Passes `inner` through and feeds every byte to a SHA-256 (digest checks while streaming).
class HashingSource : public ByteSource {
 public:
  explicit HashingSource(ByteSource& inner);
  ~HashingSource() override;
  size_t Read(uint8_t* buf, size_t n) override;
  // Reads `inner` to its end (bytes after a tar's end marker count too), then returns
  // "sha256:<hex>".
  std::string DrainAndDigest();

 private:
  ByteSource& inner_;
  struct State;
  std::unique_ptr<State> state_;
};

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

}  // namespace strato::rootfs
