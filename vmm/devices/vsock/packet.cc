#include "vmm/devices/vsock/packet.h"

#include <algorithm>
#include <cstring>

namespace strato::vmm::vsock {

namespace {

// Field offsets in struct virtio_vsock_hdr (packed, little-endian).
constexpr size_t kOffSrcCid = 0, kOffDstCid = 8, kOffSrcPort = 16, kOffDstPort = 20, kOffLen = 24,
                 kOffType = 28, kOffOp = 30, kOffFlags = 32, kOffBufAlloc = 36, kOffFwdCnt = 40;

template <typename T>
void Put(uint8_t* out, size_t at, T v) {
  std::memcpy(out + at, &v, sizeof v);  // x86_64 is little-endian like the wire format
}
template <typename T>
T Get(const uint8_t* in, size_t at) {
  T v;
  std::memcpy(&v, in + at, sizeof v);
  return v;
}

// Copies up to out.size() bytes from the start of the chain's readable part; returns the count.
size_t CopyReadable(const GuestMemory& memory, const DescriptorChain& chain, std::span<uint8_t> out,
                    std::vector<std::span<const uint8_t>>* rest, uint64_t rest_len) {
  size_t done = 0;
  for (const VirtqBuffer& b : chain.buffers) {
    if (b.device_writable) break;  // the walker put every readable buffer first
    const uint8_t* p = memory.HostRange(b.gpa, b.length);
    if (p == nullptr) break;
    uint64_t off = 0;
    if (done < out.size()) {
      off = std::min<uint64_t>(b.length, out.size() - done);
      std::memcpy(out.data() + done, p, off);
      done += off;
    }
    if (rest != nullptr && off < b.length && rest_len > 0) {
      const uint64_t n = std::min<uint64_t>(b.length - off, rest_len);
      rest->emplace_back(p + off, n);
      rest_len -= n;
    }
  }
  return done;
}

}  // namespace

void EncodeHeader(const Header& h, uint8_t (&out)[kHeaderSize]) {
  Put(out, kOffSrcCid, h.src_cid);
  Put(out, kOffDstCid, h.dst_cid);
  Put(out, kOffSrcPort, h.src_port);
  Put(out, kOffDstPort, h.dst_port);
  Put(out, kOffLen, h.len);
  Put(out, kOffType, h.type);
  Put(out, kOffOp, h.op);
  Put(out, kOffFlags, h.flags);
  Put(out, kOffBufAlloc, h.buf_alloc);
  Put(out, kOffFwdCnt, h.fwd_cnt);
}

Header DecodeHeader(const uint8_t (&in)[kHeaderSize]) {
  Header h;
  h.src_cid = Get<uint64_t>(in, kOffSrcCid);
  h.dst_cid = Get<uint64_t>(in, kOffDstCid);
  h.src_port = Get<uint32_t>(in, kOffSrcPort);
  h.dst_port = Get<uint32_t>(in, kOffDstPort);
  h.len = Get<uint32_t>(in, kOffLen);
  h.type = Get<uint16_t>(in, kOffType);
  h.op = Get<uint16_t>(in, kOffOp);
  h.flags = Get<uint32_t>(in, kOffFlags);
  h.buf_alloc = Get<uint32_t>(in, kOffBufAlloc);
  h.fwd_cnt = Get<uint32_t>(in, kOffFwdCnt);
  return h;
}

const char* OpName(uint16_t op) {
  static const char* const kNames[] = {"INVALID",  "REQUEST", "RESPONSE",      "RST",
                                       "SHUTDOWN", "RW",      "CREDIT_UPDATE", "CREDIT_REQUEST"};
  return op <= kLastOp ? kNames[op] : "unknown";
}

TxPacket ParseTxPacket(const GuestMemory& memory, const DescriptorChain& chain,
                       uint64_t guest_cid) {
  TxPacket p;
  uint8_t raw[kHeaderSize];
  if (chain.readable_bytes < kHeaderSize ||
      CopyReadable(memory, chain, raw, nullptr, 0) != kHeaderSize) {
    p.error = "packet shorter than the " + std::to_string(kHeaderSize) + "-byte header";
    return p;
  }
  p.header = DecodeHeader(raw);
  const Header& h = p.header;
  auto reject = [&p](std::string why) {
    // Never answer a reset with a reset.
    p.verdict = p.header.op == static_cast<uint16_t>(Op::kRst) ? Verdict::kDrop : Verdict::kReset;
    p.error = std::move(why);
    return p;
  };
  if (h.src_cid != guest_cid) {
    p.error = "source CID " + std::to_string(h.src_cid) + " is not the guest's";
    return p;
  }
  if (h.dst_cid != kHostCid) return reject("destination CID " + std::to_string(h.dst_cid));
  if (h.type != kTypeStream) return reject("socket type " + std::to_string(h.type));
  if (h.op == static_cast<uint16_t>(Op::kInvalid) || h.op > kLastOp) {
    return reject("unknown op " + std::to_string(h.op));
  }
  if (h.len > chain.readable_bytes - kHeaderSize) {
    return reject("length " + std::to_string(h.len) + " beyond the descriptors (" +
                  std::to_string(chain.readable_bytes - kHeaderSize) + " bytes)");
  }
  if (h.len > kMaxPayload) return reject("length " + std::to_string(h.len) + " above 64 KiB");
  if (h.len != 0 && h.op != static_cast<uint16_t>(Op::kRw)) {
    return reject(std::string("payload on ") + OpName(h.op));
  }
  if (h.len != 0) CopyReadable(memory, chain, raw, &p.payload, h.len);
  p.verdict = Verdict::kAccept;
  return p;
}

RxBuffer::RxBuffer(const GuestMemory& memory, const DescriptorChain& chain)
    : memory_(memory), chain_(chain) {
  if (chain.readable_bytes == 0 && chain.writable_bytes >= kHeaderSize) {
    payload_room_ = chain.writable_bytes - kHeaderSize;
  }
}

std::vector<iovec> RxBuffer::PayloadIovecs(uint64_t max) const {
  std::vector<iovec> v;
  uint64_t skip = kHeaderSize;
  max = std::min(max, payload_room_);
  for (const VirtqBuffer& b : chain_.buffers) {
    if (max == 0) break;
    if (!b.device_writable) continue;
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(b.length - skip, max);
    uint8_t* p = memory_.HostRange(b.gpa + skip, n);
    if (p == nullptr) break;
    v.push_back({p, n});
    max -= n;
    skip = 0;
  }
  return v;
}

uint32_t RxBuffer::Finish(const Header& h) const {
  uint8_t raw[kHeaderSize];
  EncodeHeader(h, raw);
  size_t done = 0;
  for (const VirtqBuffer& b : chain_.buffers) {
    if (done == kHeaderSize) break;
    if (!b.device_writable) continue;
    const uint64_t n = std::min<uint64_t>(b.length, kHeaderSize - done);
    if (uint8_t* p = memory_.HostRange(b.gpa, n)) std::memcpy(p, raw + done, n);
    done += n;
  }
  return static_cast<uint32_t>(kHeaderSize + h.len);
}

}  // namespace strato::vmm::vsock
