// virtio-blk driven through the virtio-mmio transport by a minimal driver written against the
// spec (registers, rings in a 2 MiB GuestMemory), with host files of known patterns.

#include "vmm/devices/virtio_blk.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/error.h"
#include "vmm/virtio/mmio_transport.h"

using namespace strato::vmm;
using namespace strato::vmm::virtio_mmio;
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kDesc = 0x10000, kAvail = 0x11000, kUsed = 0x12000;
constexpr uint64_t kHeader = 0x20000, kData = 0x21000, kStatusByte = 0x30000;
constexpr uint16_t kSize = 16;

struct TempDisk {
  fs::path path;
  explicit TempDisk(size_t sectors, uint8_t seed) {
    path = fs::temp_directory_path() /
           ("strato-blk-" + std::to_string(::getpid()) + "-" + std::to_string(seed));
    std::ofstream f(path, std::ios::binary);
    for (size_t i = 0; i < sectors * 512; ++i) f.put(static_cast<char>(seed + i / 512));
  }
  ~TempDisk() { fs::remove(path); }
};

struct Driver {
  GuestMemory memory{GuestMemory::kSizeAlignment};
  std::shared_ptr<VirtioBlk> blk;
  int interrupts = 0;
  std::vector<uint16_t> kicks;
  std::unique_ptr<VirtioMmioTransport> t;
  uint16_t avail_idx = 0;

  Driver(const std::string& path, bool ro, const std::string& serial = "") {
    blk = std::make_shared<VirtioBlk>(memory, DiskConfig{path, ro, serial});
    t = std::make_unique<VirtioMmioTransport>(
        memory, blk, [this] { ++interrupts; }, [this](uint16_t q) { kicks.push_back(q); });
  }
  uint32_t R(uint64_t off) {
    uint8_t b[4];
    t->Read(off, b);
    return static_cast<uint32_t>(AccessValue(b));
  }
  void W(uint64_t off, uint32_t v) {
    uint8_t b[4];
    SetAccessValue(b, v);
    t->Write(off, b);
  }
  // 3.1.1 driver initialization; returns the status read back.
  uint32_t Init(uint64_t accepted_high = 1, uint64_t accepted_low = 0) {
    W(kStatus, 0);
    W(kStatus, kStatusAcknowledge);
    W(kStatus, kStatusAcknowledge | kStatusDriver);
    W(kDriverFeaturesSel, 1);
    W(kDriverFeatures, static_cast<uint32_t>(accepted_high));
    W(kDriverFeaturesSel, 0);
    W(kDriverFeatures, static_cast<uint32_t>(accepted_low));
    W(kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    if (!(R(kStatus) & kStatusFeaturesOk)) return R(kStatus);
    W(kQueueSel, 0);
    W(kQueueNum, kSize);
    W(kQueueDescLow, kDesc);
    W(kQueueDriverLow, kAvail);
    W(kQueueDeviceLow, kUsed);
    W(kQueueReady, 1);
    W(kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    return R(kStatus);
  }
  void Desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    uint8_t d[16];
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
    std::memcpy(d + 14, &next, 2);
    memory.Write(kDesc + 16ull * i, d);
  }
  // Submits header + data + status as descriptors 0,1,2 and processes the notification.
  uint8_t Request(uint32_t type, uint64_t sector, uint32_t data_len, bool data_writable) {
    uint8_t h[16] = {};
    std::memcpy(h, &type, 4);
    std::memcpy(h + 8, &sector, 8);
    memory.Write(kHeader, h);
    memory.WriteObject<uint8_t>(kStatusByte, 0xee);
    Desc(0, kHeader, 16, virtq::kDescFlagNext, data_len ? 1 : 2);
    Desc(1, kData, data_len, virtq::kDescFlagNext | (data_writable ? virtq::kDescFlagWrite : 0), 2);
    Desc(2, kStatusByte, 1, virtq::kDescFlagWrite, 0);
    Submit(0);
    uint8_t s;
    memory.Read(kStatusByte, {&s, 1});
    return s;
  }
  void Submit(uint16_t head) {
    memory.WriteObject<uint16_t>(kAvail + 4 + 2ull * (avail_idx % kSize), head);
    ++avail_idx;
    memory.WriteObject<uint16_t>(kAvail + 2, avail_idx);
    W(kQueueNotify, 0);
    REQUIRE(kicks.back() == 0);
    t->Notify(0);
  }
  uint32_t LastUsedLength() {
    uint16_t idx;
    memory.Read(kUsed + 2, {reinterpret_cast<uint8_t*>(&idx), 2});
    uint32_t len;
    memory.Read(kUsed + 4 + 8ull * ((idx - 1) % kSize) + 4, {reinterpret_cast<uint8_t*>(&len), 4});
    return len;
  }
};

}  // namespace

TEST_CASE("virtio-mmio: identity registers, features and config space of a read-only disk") {
  TempDisk disk(8, 0x40);
  Driver d(disk.path, true, "strato-L0-1a2b3c4d");
  CHECK(d.R(kMagicValue) == 0x74726976u);
  CHECK(d.R(kVersion) == 2u);
  CHECK(d.R(kDeviceId) == 2u);
  d.W(kDeviceFeaturesSel, 0);
  CHECK(d.R(kDeviceFeatures) == ((1u << 2) | (1u << 5) | (1u << 6) | (1u << 9) | (1u << 29)));
  d.W(kDeviceFeaturesSel, 1);
  CHECK(d.R(kDeviceFeatures) == 1u);  // VERSION_1
  CHECK(d.R(kQueueNumMax) == 256u);
  CHECK(d.R(kConfig + 0) == 8u);  // capacity in sectors
  CHECK(d.R(kConfig + 4) == 0u);
  CHECK(d.R(kConfig + 12) == 254u);  // seg_max
  CHECK(d.R(kConfig + 20) == 512u);  // blk_size
}

TEST_CASE("virtio-mmio: FEATURES_OK is refused without VERSION_1 or with unoffered features") {
  TempDisk disk(1, 1);
  Driver d(disk.path, false);
  CHECK((d.Init(0, 0) & kStatusFeaturesOk) == 0);
  CHECK((d.Init(1 | 2, 0) & kStatusFeaturesOk) == 0);    // bit 33 is not offered
  CHECK((d.Init(1, 1u << 5) & kStatusFeaturesOk) == 0);  // RO is not offered on a rw disk
  CHECK(d.Init(1, 1u << 29) == 0xfu);
  CHECK(d.R(kQueueReady) == 1u);
}

TEST_CASE("virtio-mmio: queue addresses outside guest RAM leave the queue not ready") {
  TempDisk disk(1, 1);
  Driver d(disk.path, false);
  d.W(kStatus, kStatusAcknowledge | kStatusDriver);
  d.W(kDriverFeaturesSel, 1);
  d.W(kDriverFeatures, 1);
  d.W(kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
  d.W(kQueueNum, kSize);
  d.W(kQueueDescLow, 0xd0000000);
  d.W(kQueueDriverLow, kAvail);
  d.W(kQueueDeviceLow, kUsed);
  d.W(kQueueReady, 1);
  CHECK(d.R(kQueueReady) == 0u);
}

TEST_CASE("virtio-blk: reads return the file's bytes, interrupt status and ACK") {
  TempDisk disk(8, 0x40);
  Driver d(disk.path, true);
  REQUIRE(d.Init() == 0xfu);
  CHECK(d.Request(virtio_blk::kRequestIn, 3, 1024, true) == virtio_blk::kStatusOk);
  std::vector<uint8_t> got(1024);
  d.memory.Read(kData, got);
  CHECK(got[0] == 0x43);
  CHECK(got[511] == 0x43);
  CHECK(got[512] == 0x44);
  CHECK(d.LastUsedLength() == 1025u);
  CHECK(d.interrupts == 1);
  CHECK(d.R(kInterruptStatus) == kInterruptUsedBuffer);
  d.W(kInterruptAck, kInterruptUsedBuffer);
  CHECK(d.R(kInterruptStatus) == 0u);
  // Past the end, and not a whole sector: IOERR.
  CHECK(d.Request(virtio_blk::kRequestIn, 7, 1024, true) == virtio_blk::kStatusIoErr);
  CHECK(d.Request(virtio_blk::kRequestIn, 0xffffffffffffffff, 512, true) ==
        virtio_blk::kStatusIoErr);
  CHECK(d.Request(virtio_blk::kRequestIn, 0, 100, true) == virtio_blk::kStatusIoErr);
  CHECK_FALSE(d.t->broken());
}

TEST_CASE("virtio-blk: writes reach the file, a read-only disk answers IOERR and is unchanged") {
  TempDisk disk(4, 0x10);
  {
    Driver d(disk.path, false);
    REQUIRE(d.Init() == 0xfu);
    std::vector<uint8_t> pattern(512, 0xab);
    d.memory.Write(kData, pattern);
    CHECK(d.Request(virtio_blk::kRequestOut, 2, 512, false) == virtio_blk::kStatusOk);
    CHECK(d.Request(virtio_blk::kRequestFlush, 0, 0, false) == virtio_blk::kStatusOk);
    std::ifstream f(disk.path, std::ios::binary);
    f.seekg(2 * 512);
    CHECK(f.get() == 0xab);
  }
  Driver ro(disk.path, true);
  REQUIRE(ro.Init(1, 1u << 5) == 0xfu);
  std::vector<uint8_t> zeros(512, 0);
  ro.memory.Write(kData, zeros);
  CHECK(ro.Request(virtio_blk::kRequestOut, 0, 512, false) == virtio_blk::kStatusIoErr);
  std::ifstream f(disk.path, std::ios::binary);
  CHECK(f.get() == 0x10);
  CHECK(ro.Request(99, 0, 0, false) == virtio_blk::kStatusUnsupported);
}

TEST_CASE("virtio-blk: GET_ID returns the serial, NUL-padded to 20 bytes") {
  TempDisk disk(1, 1);
  Driver d(disk.path, true, "strato-L3-99aa00bb");
  REQUIRE(d.Init() == 0xfu);
  std::vector<uint8_t> fill(20, 0xff);
  d.memory.Write(kData, fill);
  CHECK(d.Request(virtio_blk::kRequestGetId, 0, 20, true) == virtio_blk::kStatusOk);
  char id[21] = {};
  d.memory.Read(kData, {reinterpret_cast<uint8_t*>(id), 20});
  CHECK(std::string(id) == "strato-L3-99aa00bb");
  CHECK(id[19] == 0);
  CHECK(d.LastUsedLength() == 21u);
}

TEST_CASE("virtio-blk: a hostile chain marks the device DEVICE_NEEDS_RESET, reset recovers") {
  TempDisk disk(2, 7);
  Driver d(disk.path, true);
  REQUIRE(d.Init() == 0xfu);
  d.Desc(5, kHeader, 16, virtq::kDescFlagNext, 6);
  d.Desc(6, 0x1fff000, 0x100000, virtq::kDescFlagWrite | virtq::kDescFlagNext, 5);  // outside RAM
  d.Submit(5);
  CHECK(d.t->broken());
  CHECK(d.t->broken_reason() ==
        "queue 0: buffer at 0x1fff000 (1048576 bytes) is outside guest RAM");
  CHECK((d.R(kStatus) & kStatusNeedsReset) != 0);
  CHECK((d.R(kInterruptStatus) & kInterruptConfigChange) != 0);
  CHECK(d.LastUsedLength() == 0u);
  // Further notifications do nothing until the driver resets.
  d.Submit(5);
  REQUIRE(d.Init() == 0xfu);
  d.avail_idx = 0;
  CHECK_FALSE(d.t->broken());
  CHECK(d.Request(virtio_blk::kRequestIn, 1, 512, true) == virtio_blk::kStatusOk);
  // A chain without a status byte is malformed for virtio-blk: broken as well.
  d.Desc(0, kHeader, 16, 0, 0);
  d.Submit(0);
  CHECK(d.t->broken_reason() == "queue 0: malformed request");
}

TEST_CASE("virtio-blk: --disk specs") {
  DiskConfig c = ParseDiskSpec("/x/layer.erofs,ro,serial=strato-L0-1a2b3c4d");
  CHECK(c.path == "/x/layer.erofs");
  CHECK(c.read_only);
  CHECK(c.serial == "strato-L0-1a2b3c4d");
  CHECK_FALSE(ParseDiskSpec("disk.img").read_only);
  CHECK_THROWS_WITH(ParseDiskSpec("a,rw"),
                    "--disk a,rw: unknown option \"rw\" (expected FILE[,ro][,serial=NAME])");
  CHECK_THROWS_AS(ParseDiskSpec("a,serial=this-serial-is-too-long"), strato::UsageError);
  CHECK_THROWS_AS(ParseDiskSpec("a,serial=bad/char"), strato::UsageError);
  CHECK_THROWS_AS(ParseDiskSpec(",ro"), strato::UsageError);
  CHECK_THROWS_AS(VirtioBlk(GuestMemory(GuestMemory::kSizeAlignment),
                            DiskConfig{"/nonexistent/disk", true, ""}),
                  strato::Error);
}
