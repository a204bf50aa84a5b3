// Fuzzes the virtqueue descriptor walker with guest-controlled rings: the input becomes the
// descriptor table, the available ring and an indirect-table area in a 2 MiB guest. Every chain
// the walker accepts must lie entirely inside guest RAM with consistent byte counts.

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/virtqueue.h"

using namespace strato::vmm;

namespace {
constexpr uint64_t kDesc = 0x1000, kAvail = 0x9000, kUsed = 0xa000, kIndirect = 0x10000;
constexpr size_t kDescBytes = 0x8000;  // up to 2048 descriptors
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static GuestMemory memory(GuestMemory::kSizeAlignment);
  // Control bytes: queue size exponent, flags, available index, 8 head indices (little-endian u16).
  constexpr size_t kControl = 3 + 16;
  if (size < kControl) return 0;
  const uint16_t queue_size = static_cast<uint16_t>(1u << (data[0] % 12));  // 1..2048
  const bool indirect = data[1] & 1;
  const bool event_idx = data[1] & 2;
  const uint16_t avail_idx = data[2];
  const uint8_t* heads = data + 3;
  data += kControl;
  size -= kControl;
  // Descriptor table, then an indirect area, then avail ring contents.
  std::memset(memory.HostRange(0, 0x20000), 0, 0x20000);
  const size_t desc = size < kDescBytes ? size : kDescBytes;
  std::memcpy(memory.HostRange(kDesc, desc), data, desc);
  std::memcpy(memory.HostRange(kIndirect, desc), data, desc);
  std::memcpy(memory.HostRange(kAvail + 2, 2), &avail_idx, 2);
  for (uint16_t i = 0; i < queue_size && i < 8; ++i) {
    std::memcpy(memory.HostRange(kAvail + 4 + 2ull * i, 2), heads + 2 * i, 2);
  }
  VirtqueueAddresses q{queue_size, kDesc, kAvail, kUsed};
  if (!ValidateQueueLayout(memory, q, 2048).empty()) std::abort();
  SplitVirtqueue vq(memory, q, event_idx, indirect);
  for (int i = 0; i < 4; ++i) {
    auto p = vq.Pop();
    if (p.empty) break;
    if (p.chain) {
      uint64_t readable = 0, writable = 0;
      for (const VirtqBuffer& b : p.chain->buffers) {
        if (memory.HostRange(b.gpa, b.length) == nullptr || b.length == 0) std::abort();
        (b.device_writable ? writable : readable) += b.length;
      }
      if (readable != p.chain->readable_bytes || writable != p.chain->writable_bytes) std::abort();
      vq.PushUsed(p.chain->head, static_cast<uint32_t>(writable));
    } else if (p.error.empty()) {
      std::abort();
    }
  }
  return 0;
}
