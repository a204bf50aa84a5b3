#include "ttrpc/frame.h"

#include <algorithm>

#include "common/error.h"

namespace strato::ttrpc {

namespace {
void PutU32(uint8_t* out, uint32_t v) {
  out[0] = static_cast<uint8_t>(v >> 24);
  out[1] = static_cast<uint8_t>(v >> 16);
  out[2] = static_cast<uint8_t>(v >> 8);
  out[3] = static_cast<uint8_t>(v);
}
uint32_t GetU32(const uint8_t* in) {
  return (uint32_t{in[0]} << 24) | (uint32_t{in[1]} << 16) | (uint32_t{in[2]} << 8) |
         uint32_t{in[3]};
}
// Compact the buffer once this much consumed space has piled up at its front.
constexpr size_t kCompactThreshold = size_t{64} * 1024;
}  // namespace

std::array<uint8_t, kHeaderSize> EncodeHeader(const FrameHeader& header) {
  std::array<uint8_t, kHeaderSize> out{};
  PutU32(&out[0], header.length);
  PutU32(&out[4], header.stream_id);
  out[8] = header.type;
  out[9] = header.flags;
  return out;
}

FrameHeader DecodeHeader(const uint8_t* bytes) {
  return FrameHeader{GetU32(bytes), GetU32(bytes + 4), bytes[8], bytes[9]};
}

std::string EncodeFrame(uint32_t stream_id, FrameType type, uint8_t flags,
                        std::string_view payload) {
  if (payload.size() > kMaxMessageLength) {
    throw Error("ttrpc: message of " + std::to_string(payload.size()) +
                " bytes exceeds the 4 MiB limit");
  }
  auto header = EncodeHeader(FrameHeader{static_cast<uint32_t>(payload.size()), stream_id,
                                         static_cast<uint8_t>(type), flags});
  std::string out(reinterpret_cast<const char*>(header.data()), header.size());
  out.append(payload);
  return out;
}

void FrameDecoder::Feed(std::string_view bytes) {
  if (discard_remaining_ > 0) {
    size_t skip = static_cast<size_t>(std::min<uint64_t>(discard_remaining_, bytes.size()));
    discard_remaining_ -= skip;
    bytes.remove_prefix(skip);
  }
  buffer_.append(bytes);
}

void FrameDecoder::Compact() {
  if (offset_ >= kCompactThreshold || offset_ == buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

std::optional<Frame> FrameDecoder::Next() {
  if (discard_remaining_ > 0) {
    // Skip what is already buffered of the oversized payload.
    size_t avail = buffer_.size() - offset_;
    size_t skip = static_cast<size_t>(std::min<uint64_t>(discard_remaining_, avail));
    offset_ += skip;
    discard_remaining_ -= skip;
    Compact();
    if (discard_remaining_ > 0) return std::nullopt;
  }
  if (!header_) {
    if (buffer_.size() - offset_ < kHeaderSize) return std::nullopt;
    FrameHeader h = DecodeHeader(reinterpret_cast<const uint8_t*>(buffer_.data() + offset_));
    offset_ += kHeaderSize;
    if (h.length > kMaxMessageLength) {
      Frame f;
      f.header = h;
      f.oversized = true;
      discard_remaining_ = h.length;
      size_t avail = buffer_.size() - offset_;
      size_t skip = static_cast<size_t>(std::min<uint64_t>(discard_remaining_, avail));
      offset_ += skip;
      discard_remaining_ -= skip;
      Compact();
      return f;
    }
    header_ = h;
  }
  if (buffer_.size() - offset_ < header_->length) {
    Compact();
    return std::nullopt;
  }
  Frame f;
  f.header = *header_;
  f.payload.assign(buffer_, offset_, header_->length);
  offset_ += header_->length;
  header_.reset();
  Compact();
  return f;
}

}  // namespace strato::ttrpc
