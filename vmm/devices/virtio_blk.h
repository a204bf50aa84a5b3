#pragma once
// virtio-blk (virtio 1.2, 5.2) backed by a host file: one request queue; IN, OUT, FLUSH and
// GET_ID; features VERSION_1, SEG_MAX, BLK_SIZE, FLUSH, EVENT_IDX, and RO for read-only disks
// (image layers). Capacity = file size / 512, rounded down. Status IOERR for out-of-range sectors,
// data lengths that are not whole sectors, host I/O errors and any write to a read-only disk;
// UNSUPP for unknown request types. Requests run on the event-loop thread (called by the
// transport), with pread/pwrite straight into guest buffers the walker validated.

#include <cstdint>
#include <string>

#include "common/file_util.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/virtio_device.h"

namespace strato::vmm {

namespace virtio_blk {
inline constexpr uint32_t kDeviceId = 2;  // 5: device ID of a block device
inline constexpr uint64_t kFeatureSegMax = 1ull << 2;
inline constexpr uint64_t kFeatureRo = 1ull << 5;
inline constexpr uint64_t kFeatureBlkSize = 1ull << 6;
inline constexpr uint64_t kFeatureFlush = 1ull << 9;
inline constexpr uint32_t kRequestIn = 0;
inline constexpr uint32_t kRequestOut = 1;
inline constexpr uint32_t kRequestFlush = 4;
inline constexpr uint32_t kRequestGetId = 8;
inline constexpr uint8_t kStatusOk = 0;
inline constexpr uint8_t kStatusIoErr = 1;
inline constexpr uint8_t kStatusUnsupported = 2;
inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint64_t kRequestHeaderSize = 16;  // type, reserved, sector
inline constexpr size_t kIdBytes = 20;              // VIRTIO_BLK_ID_BYTES
inline constexpr uint16_t kQueueSize = 256;
// Config space offsets (5.2.4).
inline constexpr uint64_t kConfigCapacity = 0;
inline constexpr uint64_t kConfigSegMax = 12;
inline constexpr uint64_t kConfigBlkSize = 20;
inline constexpr uint64_t kConfigSize = 24;
}  // namespace virtio_blk

struct DiskConfig {
  std::string path;
  bool read_only = false;
  std::string serial;  // GET_ID answer, at most 20 bytes of [A-Za-z0-9._-] (may be empty)
};

// Parses "FILE[,ro][,serial=NAME]" (`strato vm --disk`); throws strato::UsageError.
DiskConfig ParseDiskSpec(const std::string& spec);

class VirtioBlk : public VirtioDevice {
 public:
  // Opens the file (read-only for ro disks); throws strato::Error naming it.
  VirtioBlk(const GuestMemory& memory, DiskConfig config);

  uint32_t device_id() const override { return virtio_blk::kDeviceId; }
  uint64_t device_features() const override;
  uint16_t queue_count() const override { return 1; }
  uint16_t max_queue_size() const override { return virtio_blk::kQueueSize; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t, std::span<const uint8_t>) override {}  // all fields read-only here
  int64_t HandleChain(uint16_t queue, const DescriptorChain& chain) override;

  uint64_t capacity_sectors() const { return capacity_sectors_; }
  const DiskConfig& config() const { return config_; }

 private:
  uint8_t Transfer(const DescriptorChain& chain, uint32_t type, uint64_t sector,
                   uint64_t data_bytes, uint64_t& written);

  const GuestMemory& memory_;
  DiskConfig config_;
  UniqueFd fd_;
  uint64_t capacity_sectors_ = 0;
};

}  // namespace strato::vmm
