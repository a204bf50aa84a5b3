// Fuzzes the virtio-vsock tx packet parser with guest-controlled bytes: the input's first byte
// picks how the packet is split over up to four device-readable descriptors (the header may
// straddle them), the rest is the packet. Every accepted packet must carry exactly `len` payload
// bytes inside guest RAM, only on OP_RW and at most 64 KiB; an OP_RST is never answered with a
// reset. The same splits are then used as an rx buffer the device writes a reply into.

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "vmm/devices/vsock/packet.h"
#include "vmm/memory/guest_memory.h"

using namespace strato::vmm;
namespace vs = strato::vmm::vsock;

namespace {
constexpr uint64_t kPacketBase = 0x1000;
constexpr size_t kMaxInput = 0x20000;
constexpr uint64_t kGap = 0x100;  // descriptors are not contiguous in guest memory
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static GuestMemory memory(GuestMemory::kSizeAlignment);
  if (size < 1 || size > kMaxInput) return 0;
  const uint8_t control = data[0];
  ++data;
  --size;
  // Split points: pieces of 1..64 bytes (control bits), the last piece takes the rest.
  const size_t pieces = 1 + (control & 3);
  DescriptorChain chain;
  uint64_t gpa = kPacketBase;
  size_t offset = 0;
  for (size_t i = 0; i < pieces && offset < size; ++i) {
    size_t len = (i + 1 == pieces) ? size - offset : 1 + ((control >> 2) * (i + 7)) % 64;
    if (len > size - offset) len = size - offset;
    std::memcpy(memory.HostRange(gpa, len), data + offset, len);
    chain.buffers.push_back({gpa, static_cast<uint32_t>(len), false});
    chain.readable_bytes += len;
    offset += len;
    gpa += len + kGap;
  }
  const vs::TxPacket p = vs::ParseTxPacket(memory, chain, vs::kGuestCid);
  const uint8_t* ram = memory.HostRange(0, memory.size());
  if (p.verdict == vs::Verdict::kAccept) {
    uint64_t total = 0;
    for (auto piece : p.payload) {
      if (piece.data() < ram || piece.data() + piece.size() > ram + memory.size()) std::abort();
      total += piece.size();
    }
    if (total != p.header.len || p.header.len > vs::kMaxPayload) std::abort();
    if (p.header.len != 0 && p.header.op != static_cast<uint16_t>(vs::Op::kRw)) std::abort();
    if (p.header.src_cid != vs::kGuestCid || p.header.dst_cid != vs::kHostCid) std::abort();
  } else if (p.error.empty()) {
    std::abort();
  }
  if (p.verdict == vs::Verdict::kReset && p.header.op == static_cast<uint16_t>(vs::Op::kRst)) {
    std::abort();
  }
  // The same layout as a (writable) rx buffer: the reply header and payload stay inside it.
  for (VirtqBuffer& b : chain.buffers) b.device_writable = true;
  chain.writable_bytes = chain.readable_bytes;
  chain.readable_bytes = 0;
  const vs::RxBuffer rx(memory, chain);
  uint64_t room = 0;
  for (const iovec& v : rx.PayloadIovecs(vs::kMaxPayload)) {
    if (static_cast<uint8_t*>(v.iov_base) < ram ||
        static_cast<uint8_t*>(v.iov_base) + v.iov_len > ram + memory.size()) {
      std::abort();
    }
    std::memset(v.iov_base, 0xab, v.iov_len);
    room += v.iov_len;
  }
  if (room != std::min<uint64_t>(rx.payload_room(), vs::kMaxPayload)) std::abort();
  if (chain.writable_bytes >= vs::kHeaderSize) {
    vs::Header reply = p.header;
    reply.len = static_cast<uint32_t>(room);
    if (rx.Finish(reply) != vs::kHeaderSize + room) std::abort();
  }
  return 0;
}
