#include "vmm/virtio/virtqueue.h"

#include <catch2/catch.hpp>
#include <cstring>

using namespace strato::vmm;
using namespace strato::vmm::virtq;

namespace {

constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000;
constexpr uint16_t kSize = 8;

struct Ring {
  GuestMemory memory{GuestMemory::kSizeAlignment};  // 2 MiB
  VirtqueueAddresses q{kSize, kDesc, kAvail, kUsed};
  uint16_t avail_idx = 0;

  void Desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next,
            uint64_t table = kDesc) {
    uint8_t d[16];
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
    std::memcpy(d + 14, &next, 2);
    memory.Write(table + 16ull * i, d);
  }
  void Offer(uint16_t head) {
    memory.WriteObject<uint16_t>(kAvail + 4 + 2ull * (avail_idx % kSize), head);
    ++avail_idx;
    memory.WriteObject<uint16_t>(kAvail + 2, avail_idx);
  }
  WalkResult Walk(uint16_t head, bool indirect = true) {
    return WalkChain(memory, q, head, indirect);
  }
};

}  // namespace

TEST_CASE("virtqueue layout: sizes, alignment and RAM bounds are checked") {
  Ring r;
  CHECK(ValidateQueueLayout(r.memory, r.q, 256) == "");
  VirtqueueAddresses bad = r.q;
  bad.size = 6;
  CHECK(ValidateQueueLayout(r.memory, bad, 256) == "queue size 6 is not a power of two in 1..256");
  bad = r.q;
  bad.desc_table = 0x10008;
  CHECK(ValidateQueueLayout(r.memory, bad, 256) == "descriptor table at 0x10008 is misaligned");
  bad = r.q;
  bad.used_ring = r.memory.size() - 16;
  CHECK(ValidateQueueLayout(r.memory, bad, 256) ==
        "used ring at 0x1ffff0 (70 bytes) is outside guest RAM");
  bad = r.q;
  bad.avail_ring = 0xfffffffffffffffe;
  CHECK_FALSE(ValidateQueueLayout(r.memory, bad, 256).empty());
}

TEST_CASE("virtqueue walker: a valid request chain (readable header, writable data + status)") {
  Ring r;
  r.Desc(0, 0x20000, 16, kDescFlagNext, 3);
  r.Desc(3, 0x21000, 512, kDescFlagNext | kDescFlagWrite, 5);
  r.Desc(5, 0x22000, 1, kDescFlagWrite, 0);
  WalkResult w = r.Walk(0);
  REQUIRE(w.chain);
  CHECK(w.error.empty());
  REQUIRE(w.chain->buffers.size() == 3);
  CHECK(w.chain->buffers[1].gpa == 0x21000);
  CHECK(w.chain->buffers[1].device_writable);
  CHECK_FALSE(w.chain->buffers[0].device_writable);
  CHECK(w.chain->readable_bytes == 16);
  CHECK(w.chain->writable_bytes == 513);
}

TEST_CASE("virtqueue walker: hostile chains are rejected with a reason") {
  Ring r;
  SECTION("a loop") {
    r.Desc(0, 0x20000, 16, kDescFlagNext, 1);
    r.Desc(1, 0x20000, 16, kDescFlagNext, 0);
    CHECK(r.Walk(0).error == "descriptor chain longer than its table (a loop?)");
  }
  SECTION("a self loop") {
    r.Desc(2, 0x20000, 16, kDescFlagNext, 2);
    CHECK_FALSE(r.Walk(2).chain);
  }
  SECTION("buffer outside guest RAM") {
    r.Desc(0, 0x1fff00, 0x200, 0, 0);
    CHECK(r.Walk(0).error == "buffer at 0x1fff00 (512 bytes) is outside guest RAM");
  }
  SECTION("buffer address wrapping around") {
    r.Desc(0, 0xfffffffffffff000, 0x2000, 0, 0);
    CHECK_FALSE(r.Walk(0).chain);
  }
  SECTION("buffer in the MMIO gap") {
    r.Desc(0, 0xd0000000, 16, 0, 0);
    CHECK_FALSE(r.Walk(0).chain);
  }
  SECTION("next index out of range") {
    r.Desc(0, 0x20000, 16, kDescFlagNext, kSize);
    CHECK(r.Walk(0).error == "next index 8 out of range");
  }
  SECTION("head out of range") {
    CHECK(r.Walk(kSize).error == "head 8 >= queue size");
  }
  SECTION("zero length") {
    r.Desc(0, 0x20000, 0, 0, 0);
    CHECK(r.Walk(0).error == "zero-length buffer");
  }
  SECTION("readable after writable") {
    r.Desc(0, 0x20000, 16, kDescFlagNext | kDescFlagWrite, 1);
    r.Desc(1, 0x21000, 16, 0, 0);
    CHECK(r.Walk(0).error == "device-readable buffer after a writable one");
  }
  SECTION("too many bytes") {
    for (uint16_t i = 0; i < kSize; ++i) {
      r.Desc(i, 0x20000, 0x100000, i + 1 < kSize ? kDescFlagNext : 0, i + 1);
    }
    r.q.size = kSize;
    // 8 x 1 MiB is fine; a 64 MiB limit is only reachable with larger guests, so check the sum.
    WalkResult w = r.Walk(0);
    REQUIRE(w.chain);
    CHECK(w.chain->readable_bytes == 8ull << 20);
  }
}

TEST_CASE("virtqueue walker: indirect tables") {
  Ring r;
  constexpr uint64_t kIndirect = 0x30000;
  r.Desc(0, 0x20000, 16, kDescFlagNext, 1, kIndirect);
  r.Desc(1, 0x21000, 1, kDescFlagWrite, 0, kIndirect);
  r.Desc(4, kIndirect, 32, kDescFlagIndirect, 0);
  SECTION("valid") {
    WalkResult w = r.Walk(4);
    REQUIRE(w.chain);
    CHECK(w.chain->head == 4);
    CHECK(w.chain->buffers.size() == 2);
  }
  SECTION("not negotiated") {
    CHECK(r.Walk(4, false).error == "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
  }
  SECTION("nested") {
    r.Desc(1, kIndirect, 32, kDescFlagIndirect, 0, kIndirect);
    CHECK(r.Walk(4).error == "nested indirect descriptor table");
  }
  SECTION("with NEXT") {
    r.Desc(4, kIndirect, 32, kDescFlagIndirect | kDescFlagNext, 1);
    CHECK(r.Walk(4).error == "descriptor with both INDIRECT and NEXT");
  }
  SECTION("bad length") {
    r.Desc(4, kIndirect, 24, kDescFlagIndirect, 0);
    CHECK(r.Walk(4).error == "indirect table length 24 is invalid");
  }
  SECTION("outside RAM") {
    r.Desc(4, 0x1ffff0, 32, kDescFlagIndirect, 0);
    CHECK(r.Walk(4).error == "indirect table at 0x1ffff0 is outside guest RAM");
  }
  SECTION("loop inside the indirect table") {
    r.Desc(1, 0x21000, 1, kDescFlagNext, 0, kIndirect);
    CHECK(r.Walk(4).error == "descriptor chain longer than its table (a loop?)");
  }
}

TEST_CASE("split virtqueue: pop, push used, corrupt avail index") {
  Ring r;
  r.Desc(0, 0x20000, 16, 0, 0);
  r.Desc(1, 0x20000, 16, kDescFlagNext, 1);  // self loop
  SplitVirtqueue vq(r.memory, r.q, false, false);
  CHECK(vq.Pop().empty);
  r.Offer(0);
  r.Offer(1);
  auto a = vq.Pop();
  REQUIRE(a.chain);
  CHECK(a.chain->head == 0);
  auto b = vq.Pop();
  CHECK_FALSE(b.chain);
  CHECK(b.bad_head == 1);
  CHECK(vq.Pop().empty);
  CHECK(vq.PushUsed(0, 7));
  uint16_t used_idx = 0;
  uint32_t elem[2] = {};
  r.memory.Read(kUsed + 2, {reinterpret_cast<uint8_t*>(&used_idx), 2});
  r.memory.Read(kUsed + 4, {reinterpret_cast<uint8_t*>(elem), 8});
  CHECK(used_idx == 1);
  CHECK(elem[0] == 0);
  CHECK(elem[1] == 7);
  // VIRTQ_AVAIL_F_NO_INTERRUPT suppresses the interrupt without EVENT_IDX.
  r.memory.WriteObject<uint16_t>(kAvail, kAvailFlagNoInterrupt);
  CHECK_FALSE(vq.PushUsed(1, 0));
  // The driver claims 100 new buffers in a ring of 8.
  r.memory.WriteObject<uint16_t>(kAvail + 2, static_cast<uint16_t>(r.avail_idx + 100));
  auto c = vq.Pop();
  CHECK_FALSE(c.empty);
  CHECK_FALSE(c.bad_head);
  CHECK(c.error == "available index 102 is more than the queue size ahead");
}

TEST_CASE("split virtqueue: EVENT_IDX interrupts only when used_event is crossed") {
  Ring r;
  for (uint16_t i = 0; i < 4; ++i) r.Desc(i, 0x20000, 16, 0, 0);
  SplitVirtqueue vq(r.memory, r.q, true, false);
  for (uint16_t i = 0; i < 4; ++i) r.Offer(i);
  for (int i = 0; i < 4; ++i) REQUIRE(vq.Pop().chain);
  // used_event (after the avail ring) = 2: interrupt when used idx goes from 2 to 3.
  r.memory.WriteObject<uint16_t>(kAvail + 4 + 2 * kSize, 2);
  CHECK(vq.PushUsed(0, 0));  // the first completion always interrupts
  CHECK_FALSE(vq.PushUsed(1, 0));
  CHECK(vq.PushUsed(2, 0));
  CHECK_FALSE(vq.PushUsed(3, 0));
  CHECK(VringNeedEvent(0xffff, 0, 0xfffe));
  CHECK_FALSE(vq.EnableNotificationsAndCheck());
  uint16_t avail_event = 0;
  r.memory.Read(kUsed + 4 + 8 * kSize, {reinterpret_cast<uint8_t*>(&avail_event), 2});
  CHECK(avail_event == 4);
  r.Offer(0);
  CHECK(vq.EnableNotificationsAndCheck());
}
