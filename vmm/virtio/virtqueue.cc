#include "vmm/virtio/virtqueue.h"

#include <atomic>
#include <cstring>

namespace strato::vmm {

using namespace virtq;

namespace {

struct RawDescriptor {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
static_assert(sizeof(RawDescriptor) == kDescriptorSize);

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool ReadDescriptor(const GuestMemory& memory, uint64_t table, uint32_t index, RawDescriptor& d) {
  const uint8_t* p = memory.HostRange(table + uint64_t{index} * kDescriptorSize, kDescriptorSize);
  if (p == nullptr) return false;
  std::memcpy(&d, p, sizeof d);  // one snapshot: the guest may change it concurrently
  return true;
}

uint64_t AvailRingBytes(uint16_t size) {
  return kRingHeaderSize + 2ull * size + 2;  // + used_event
}
uint64_t UsedRingBytes(uint16_t size) {
  return kRingHeaderSize + kUsedElementSize * size + 2;  // + avail_event
}

}  // namespace

std::string ValidateQueueLayout(const GuestMemory& memory, const VirtqueueAddresses& q,
                                uint32_t max_size) {
  if (q.size == 0 || q.size > max_size || (q.size & (q.size - 1)) != 0) {
    return "queue size " + std::to_string(q.size) + " is not a power of two in 1.." +
           std::to_string(max_size);
  }
  struct Part {
    const char* name;
    uint64_t gpa, bytes, align;
  } parts[] = {{"descriptor table", q.desc_table, kDescriptorSize * q.size, kDescTableAlign},
               {"available ring", q.avail_ring, AvailRingBytes(q.size), kAvailAlign},
               {"used ring", q.used_ring, UsedRingBytes(q.size), kUsedAlign}};
  for (const Part& p : parts) {
    if (p.gpa % p.align != 0) return std::string(p.name) + " at " + Hex(p.gpa) + " is misaligned";
    if (memory.HostRange(p.gpa, p.bytes) == nullptr) {
      return std::string(p.name) + " at " + Hex(p.gpa) + " (" + std::to_string(p.bytes) +
             " bytes) is outside guest RAM";
    }
  }
  return {};
}

WalkResult WalkChain(const GuestMemory& memory, const VirtqueueAddresses& q, uint16_t head,
                     bool indirect_allowed) {
  WalkResult r;
  auto fail = [&r](std::string why) {
    r.chain.reset();
    r.error = std::move(why);
    return r;
  };
  if (head >= q.size) return fail("head " + std::to_string(head) + " >= queue size");
  DescriptorChain chain;
  chain.head = head;
  uint64_t table = q.desc_table;
  uint32_t table_size = q.size;
  uint32_t index = head;
  bool in_indirect = false;
  uint32_t visited = 0;  // descriptors seen in the current table: bounds loops
  bool seen_writable = false;
  for (;;) {
    if (++visited > table_size) return fail("descriptor chain longer than its table (a loop?)");
    RawDescriptor d;
    if (!ReadDescriptor(memory, table, index, d)) return fail("descriptor outside guest RAM");
    if (d.flags & kDescFlagIndirect) {
      if (!indirect_allowed) return fail("indirect descriptor without VIRTIO_F_INDIRECT_DESC");
      if (in_indirect) return fail("nested indirect descriptor table");
      if (d.flags & kDescFlagNext) return fail("descriptor with both INDIRECT and NEXT");
      if (d.len == 0 || d.len % kDescriptorSize != 0 || d.len / kDescriptorSize > kMaxQueueSize) {
        return fail("indirect table length " + std::to_string(d.len) + " is invalid");
      }
      if (memory.HostRange(d.addr, d.len) == nullptr) {
        return fail("indirect table at " + Hex(d.addr) + " is outside guest RAM");
      }
      in_indirect = true;
      table = d.addr;
      table_size = d.len / kDescriptorSize;
      index = 0;
      visited = 0;
      continue;
    }
    if (d.len == 0) return fail("zero-length buffer");
    if (memory.HostRange(d.addr, d.len) == nullptr) {
      return fail("buffer at " + Hex(d.addr) + " (" + std::to_string(d.len) +
                  " bytes) is outside guest RAM");
    }
    const bool writable = (d.flags & kDescFlagWrite) != 0;
    if (!writable && seen_writable) return fail("device-readable buffer after a writable one");
    seen_writable = seen_writable || writable;
    (writable ? chain.writable_bytes : chain.readable_bytes) += d.len;
    if (chain.readable_bytes + chain.writable_bytes > kMaxChainBytes) {
      return fail("chain longer than " + std::to_string(kMaxChainBytes) + " bytes");
    }
    chain.buffers.push_back({d.addr, d.len, writable});
    if (!(d.flags & kDescFlagNext)) break;
    if (d.next >= table_size) return fail("next index " + std::to_string(d.next) + " out of range");
    index = d.next;
  }
  r.chain = std::move(chain);
  return r;
}

SplitVirtqueue::SplitVirtqueue(const GuestMemory& memory, VirtqueueAddresses addresses,
                               bool event_idx, bool indirect_allowed)
    : memory_(memory), q_(addresses), event_idx_(event_idx), indirect_allowed_(indirect_allowed) {}

uint16_t SplitVirtqueue::ReadU16(uint64_t gpa) const {
  // Validated at setup (ValidateQueueLayout): these ring fields lie in guest RAM.
  const uint8_t* p = memory_.HostRange(gpa, 2);
  return p == nullptr ? 0
                      : std::atomic_ref<const uint16_t>(*reinterpret_cast<const uint16_t*>(p))
                            .load(std::memory_order_relaxed);
}

void SplitVirtqueue::WriteU16(uint64_t gpa, uint16_t v) const {
  uint8_t* p = memory_.HostRange(gpa, 2);
  if (p != nullptr) {
    std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(p)).store(v, std::memory_order_relaxed);
  }
}

uint16_t SplitVirtqueue::AvailIdx() const {
  uint16_t idx = ReadU16(q_.avail_ring + 2);
  std::atomic_thread_fence(std::memory_order_acquire);  // ring entries after the index
  return idx;
}

SplitVirtqueue::PopResult SplitVirtqueue::Pop() {
  PopResult r;
  const uint16_t avail = AvailIdx();
  if (avail == next_avail_) return r;
  r.empty = false;
  if (static_cast<uint16_t>(avail - next_avail_) > q_.size) {
    r.error = "available index " + std::to_string(avail) + " is more than the queue size ahead";
    return r;
  }
  const uint16_t head = ReadU16(q_.avail_ring + kRingHeaderSize + 2ull * (next_avail_ % q_.size));
  ++next_avail_;
  WalkResult w = WalkChain(memory_, q_, head, indirect_allowed_);
  if (!w.chain) {
    r.error = w.error;
    if (head < q_.size) r.bad_head = head;
    return r;
  }
  r.chain = std::move(w.chain);
  return r;
}

bool SplitVirtqueue::PushUsed(uint16_t head, uint32_t written) {
  const uint64_t elem = q_.used_ring + kRingHeaderSize + kUsedElementSize * (next_used_ % q_.size);
  uint32_t values[2] = {head, written};
  if (uint8_t* p = memory_.HostRange(elem, sizeof values)) std::memcpy(p, values, sizeof values);
  const uint16_t old = next_used_;
  ++next_used_;
  std::atomic_thread_fence(std::memory_order_release);  // the element before the index
  WriteU16(q_.used_ring + 2, next_used_);
  std::atomic_thread_fence(std::memory_order_seq_cst);  // index before reading used_event/flags
  if (event_idx_) {
    const uint16_t used_event = ReadU16(q_.avail_ring + kRingHeaderSize + 2ull * q_.size);
    // As 2.7.10 describes: interrupt when used idx moves past used_event since the last check.
    const bool first = !signalled_valid_;
    const uint16_t since = first ? old : signalled_used_;
    signalled_used_ = next_used_;
    signalled_valid_ = true;
    return first || VringNeedEvent(used_event, next_used_, since);
  }
  return (ReadU16(q_.avail_ring) & kAvailFlagNoInterrupt) == 0;
}

bool SplitVirtqueue::EnableNotificationsAndCheck() {
  if (event_idx_)
    WriteU16(q_.used_ring + kRingHeaderSize + kUsedElementSize * q_.size, next_avail_);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return AvailIdx() != next_avail_;
}

}  // namespace strato::vmm
