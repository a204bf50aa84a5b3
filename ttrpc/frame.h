#pragma once
// ttrpc framing: a 10-byte header (u32 BE payload length, u32 BE stream id, u8 type, u8 flags)
// followed by the protobuf payload (containerd/ttrpc channel.go; reference section 1).
// FrameDecoder is a push parser over untrusted bytes: it never allocates more than the 4 MiB
// limit for one payload and reports oversized frames instead of buffering them.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strato::ttrpc {

inline constexpr size_t kHeaderSize = 10;
// messageLengthMax in containerd/ttrpc channel.go.
inline constexpr uint32_t kMaxMessageLength = 4u << 20;

enum class FrameType : uint8_t {
  kRequest = 0x01,
  kResponse = 0x02,
  kData = 0x03,  // ttrpc 1.2+ streaming; the unary server ignores it
};

// Request flags (streaming only; unary calls send 0).
inline constexpr uint8_t kFlagRemoteClosed = 0x01;
inline constexpr uint8_t kFlagRemoteOpen = 0x02;

struct FrameHeader {
  uint32_t length = 0;
  uint32_t stream_id = 0;
  uint8_t type = 0;
  uint8_t flags = 0;
};

std::array<uint8_t, kHeaderSize> EncodeHeader(const FrameHeader& header);
FrameHeader DecodeHeader(const uint8_t* bytes);

// Header + payload. Throws strato::Error if the payload exceeds kMaxMessageLength.
std::string EncodeFrame(uint32_t stream_id, FrameType type, uint8_t flags,
                        std::string_view payload);

struct Frame {
  FrameHeader header;
  std::string payload;
  // The announced length was over the limit: payload is empty and the announced bytes are
  // being skipped (the receiver answers RESOURCE_EXHAUSTED on that stream).
  bool oversized = false;
};

class FrameDecoder {
 public:
  void Feed(std::string_view bytes);
  // The next complete frame, or nothing until more bytes are fed.
  std::optional<Frame> Next();
  // Bytes held that do not yet form a frame (a peer closing here closed mid-frame).
  size_t pending_bytes() const { return buffer_.size() - offset_ + (header_ ? kHeaderSize : 0); }

 private:
  void Compact();

  std::string buffer_;
  size_t offset_ = 0;
  std::optional<FrameHeader> header_;  // parsed header awaiting its payload
  uint64_t discard_remaining_ = 0;     // bytes of an oversized payload still to skip
};

}  // namespace strato::ttrpc
