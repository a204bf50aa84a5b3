#pragma once
// virtio-vsock (virtio 1.2, 5.10) with a hybrid unix-socket backend (vmm/devices/vsock/muxer.h):
// config space = the guest's CID, queues rx (0), tx (1) and event (2), feature VERSION_1 only
// (stream sockets; no SEQPACKET).
//
// The device keeps the guest's rx buffers (at most one queue's worth) and fills them as packets
// for the guest appear: replies, socket data within the guest's credit, resets. tx packets are
// validated (vsock/packet.h) and handed to the muxer. Event buffers are kept and never used (we
// never reset the transport under a running guest). The muxer's sockets are watched through
// poll_fd(): the VM's event loop calls VirtioMmioTransport::ServiceDevice when it is readable.

#include <cstdint>
#include <deque>
#include <string>

#include "vmm/devices/vsock/muxer.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/virtio_device.h"

namespace strato::vmm {

namespace virtio_vsock {
inline constexpr uint32_t kDeviceId = 19;  // 5: device ID of a socket device
inline constexpr uint16_t kQueueRx = 0;
inline constexpr uint16_t kQueueTx = 1;
inline constexpr uint16_t kQueueEvent = 2;
inline constexpr uint16_t kQueueCount = 3;
inline constexpr uint16_t kQueueSize = 256;
// Config space (5.10.4): le64 guest_cid.
inline constexpr uint64_t kConfigGuestCid = 0;
inline constexpr uint64_t kConfigSize = 8;
}  // namespace virtio_vsock

class VirtioVsock : public VirtioDevice {
 public:
  // Listens on `socket_path` (throws strato::Error naming it).
  VirtioVsock(const GuestMemory& memory, const std::string& socket_path,
              uint64_t guest_cid = vsock::kGuestCid);

  uint32_t device_id() const override { return virtio_vsock::kDeviceId; }
  uint64_t device_features() const override { return virtio::kFeatureVersion1; }
  uint16_t queue_count() const override { return virtio_vsock::kQueueCount; }
  uint16_t max_queue_size() const override { return virtio_vsock::kQueueSize; }
  void ReadConfig(uint64_t offset, std::span<uint8_t> data) override;
  void WriteConfig(uint64_t, std::span<const uint8_t>) override {}  // guest_cid is read-only
  int64_t HandleChain(uint16_t queue, const DescriptorChain& chain) override;
  void ProcessDeferred(DeferredCompleter& completer) override;
  void Reset() override;

  int poll_fd() const { return muxer_.poll_fd(); }
  uint64_t guest_cid() const { return guest_cid_; }
  const vsock::Muxer& muxer() const { return muxer_; }

 private:
  const GuestMemory& memory_;
  uint64_t guest_cid_;
  vsock::Muxer muxer_;
  std::deque<DescriptorChain> rx_chains_;
  size_t event_chains_ = 0;
};

}  // namespace strato::vmm
