#pragma once
// virtio-vsock packets (virtio 1.2, 5.10.6): the 44-byte little-endian header, its validation
// when the guest sends it (tx queue), and writing a packet into a guest rx buffer.
//
// Everything in a tx chain is untrusted. ParseTxPacket checks, in this order: the chain holds a
// whole header (else drop: without a header there is nobody to answer), src_cid is the guest's
// CID (else drop: a spoofed source is never answered), then dst_cid is the host, type is STREAM,
// op is known, len fits the chain's readable bytes after the header, len is at most the largest
// packet Linux sends (64 KiB), and only OP_RW carries data (else reset: the connection's byte
// stream can no longer be trusted, so the guest gets OP_RST). An OP_RST is never answered with
// another (drop instead), so two peers cannot bounce resets.

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/virtqueue.h"

namespace strato::vmm::vsock {

inline constexpr uint64_t kHostCid = 2;     // VMADDR_CID_HOST
inline constexpr uint64_t kGuestCid = 3;    // the CID every strato guest gets
inline constexpr size_t kHeaderSize = 44;   // sizeof(struct virtio_vsock_hdr), packed
inline constexpr uint16_t kTypeStream = 1;  // VIRTIO_VSOCK_TYPE_STREAM
// The largest payload Linux puts in one packet (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE); we never send
// more either.
inline constexpr uint32_t kMaxPayload = 64 * 1024;

enum class Op : uint16_t {
  kInvalid = 0,        // VIRTIO_VSOCK_OP_INVALID
  kRequest = 1,        // connect
  kResponse = 2,       // connection accepted
  kRst = 3,            // reset / refused
  kShutdown = 4,       // flags: kShutdownReceive | kShutdownSend
  kRw = 5,             // payload
  kCreditUpdate = 6,   // "here is my buf_alloc / fwd_cnt"
  kCreditRequest = 7,  // "send me your credit"
};
inline constexpr uint16_t kLastOp = 7;
inline constexpr uint32_t kShutdownReceive = 1;  // VIRTIO_VSOCK_SHUTDOWN_RCV
inline constexpr uint32_t kShutdownSend = 2;     // VIRTIO_VSOCK_SHUTDOWN_SEND

struct Header {
  uint64_t src_cid = 0;
  uint64_t dst_cid = 0;
  uint32_t src_port = 0;
  uint32_t dst_port = 0;
  uint32_t len = 0;
  uint16_t type = kTypeStream;
  uint16_t op = 0;
  uint32_t flags = 0;
  uint32_t buf_alloc = 0;
  uint32_t fwd_cnt = 0;
};

void EncodeHeader(const Header& h, uint8_t (&out)[kHeaderSize]);
Header DecodeHeader(const uint8_t (&in)[kHeaderSize]);
const char* OpName(uint16_t op);

enum class Verdict { kAccept, kDrop, kReset };

struct TxPacket {
  Verdict verdict = Verdict::kDrop;
  Header header;
  std::string error;  // why it was dropped or reset
  // Exactly header.len payload bytes, as host pointers into guest RAM (validated by the walker).
  std::vector<std::span<const uint8_t>> payload;
};

// Decodes and validates the packet a guest put on the tx queue (see the file comment).
TxPacket ParseTxPacket(const GuestMemory& memory, const DescriptorChain& chain, uint64_t guest_cid);

// The device-writable part of an rx chain: the header goes first, the payload right after it.
class RxBuffer {
 public:
  RxBuffer(const GuestMemory& memory, const DescriptorChain& chain);
  // Room for payload after the header (0 if the chain cannot even hold a header).
  uint64_t payload_room() const { return payload_room_; }
  // Up to `max` payload bytes as iovecs (for readv straight into guest memory).
  std::vector<iovec> PayloadIovecs(uint64_t max) const;
  // Writes the header; returns the used length to report (header + h.len).
  uint32_t Finish(const Header& h) const;

 private:
  const GuestMemory& memory_;
  const DescriptorChain& chain_;
  uint64_t payload_room_ = 0;
};

}  // namespace strato::vmm::vsock
