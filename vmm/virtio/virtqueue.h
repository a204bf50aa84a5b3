#pragma once
// A split virtqueue (virtio 1.2, 2.7) in guest memory, driven by the device side: pops descriptor
// chains from the available ring, validates every one of them, and pushes used elements, with
// VIRTIO_F_EVENT_IDX notification suppression (2.7.7/2.7.10).
//
// Everything the guest wrote is untrusted. The walker (WalkChain) checks: head and next indices
// inside the table, every buffer inside guest RAM (no wrap-around), chain length bounded by the
// queue size (so a loop ends as an error), indirect tables (only with VIRTIO_F_INDIRECT_DESC,
// 16-byte multiple, inside RAM, not nested, not combined with NEXT), device-readable buffers
// before device-writable ones, and the total length. An invalid chain is reported as an error
// string; the transport then fails the request or marks the device DEVICE_NEEDS_RESET. Nothing
// outside guest RAM is ever read or written: buffers are accessed through GuestMemory.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

namespace virtq {
inline constexpr uint16_t kDescFlagNext = 1;          // VIRTQ_DESC_F_NEXT
inline constexpr uint16_t kDescFlagWrite = 2;         // VIRTQ_DESC_F_WRITE
inline constexpr uint16_t kDescFlagIndirect = 4;      // VIRTQ_DESC_F_INDIRECT
inline constexpr uint64_t kDescriptorSize = 16;       // struct virtq_desc
inline constexpr uint64_t kUsedElementSize = 8;       // struct virtq_used_elem
inline constexpr uint64_t kRingHeaderSize = 4;        // flags + idx of avail and used rings
inline constexpr uint32_t kMaxQueueSize = 32768;      // 2.7: sizes are powers of two up to 32768
inline constexpr uint16_t kAvailFlagNoInterrupt = 1;  // VIRTQ_AVAIL_F_NO_INTERRUPT
inline constexpr uint16_t kUsedFlagNoNotify = 1;      // VIRTQ_USED_F_NO_NOTIFY
// A request's buffers may add up to at most this many bytes (a bound on device work per request).
inline constexpr uint64_t kMaxChainBytes = 64ull << 20;
// Alignments (2.7: descriptor table 16, available ring 2, used ring 4).
inline constexpr uint64_t kDescTableAlign = 16;
inline constexpr uint64_t kAvailAlign = 2;
inline constexpr uint64_t kUsedAlign = 4;
}  // namespace virtq

struct VirtqBuffer {
  uint64_t gpa = 0;
  uint32_t length = 0;
  bool device_writable = false;
};

struct DescriptorChain {
  uint16_t head = 0;
  std::vector<VirtqBuffer> buffers;
  uint64_t readable_bytes = 0;
  uint64_t writable_bytes = 0;
};

struct WalkResult {
  std::optional<DescriptorChain> chain;
  std::string error;  // set when chain is empty
};

struct VirtqueueAddresses {
  uint16_t size = 0;
  uint64_t desc_table = 0;
  uint64_t avail_ring = 0;
  uint64_t used_ring = 0;
};

// "" if the rings of this size at these addresses lie in guest RAM with the spec's alignment and
// the size is a power of two in 1..max_size; else the reason.
std::string ValidateQueueLayout(const GuestMemory& memory, const VirtqueueAddresses& q,
                                uint32_t max_size);

// Walks the chain starting at `head` of a queue whose layout ValidateQueueLayout accepted.
WalkResult WalkChain(const GuestMemory& memory, const VirtqueueAddresses& q, uint16_t head,
                     bool indirect_allowed);

class SplitVirtqueue {
 public:
  SplitVirtqueue(const GuestMemory& memory, VirtqueueAddresses addresses, bool event_idx,
                 bool indirect_allowed);

  // The next available chain: nullopt when the ring is empty. A chain that fails validation
  // comes back with WalkResult::error (its head is returned in `bad_head` so the caller can
  // complete it with length 0); a corrupt ring (avail idx more than `size` ahead) is an error with
  // no head: the device must then be marked broken.
  struct PopResult {
    bool empty = true;
    std::optional<DescriptorChain> chain;
    std::string error;
    std::optional<uint16_t> bad_head;
  };
  PopResult Pop();
  // Marks `head` used with `written` bytes; returns whether the driver wants an interrupt
  // (EVENT_IDX: used_event; otherwise VIRTQ_AVAIL_F_NO_INTERRUPT).
  bool PushUsed(uint16_t head, uint32_t written);
  // Publishes avail_event = next avail index (EVENT_IDX) and re-checks the ring after a full
  // fence, so a buffer made available meanwhile is not missed. True if more chains are waiting.
  bool EnableNotificationsAndCheck();

  const VirtqueueAddresses& addresses() const { return q_; }
  uint16_t next_avail() const { return next_avail_; }

 private:
  uint16_t ReadU16(uint64_t gpa) const;
  void WriteU16(uint64_t gpa, uint16_t v) const;
  uint16_t AvailIdx() const;

  const GuestMemory& memory_;
  VirtqueueAddresses q_;
  bool event_idx_;
  bool indirect_allowed_;
  uint16_t next_avail_ = 0;
  uint16_t next_used_ = 0;
  uint16_t signalled_used_ = 0;  // used idx at the last interrupt (EVENT_IDX)
  bool signalled_valid_ = false;
};

// 2.7.10: does moving used idx from `old_idx` to `new_idx` cross `event`?
inline bool VringNeedEvent(uint16_t event, uint16_t new_idx, uint16_t old_idx) {
  return static_cast<uint16_t>(new_idx - event - 1) < static_cast<uint16_t>(new_idx - old_idx);
}

}  // namespace strato::vmm
