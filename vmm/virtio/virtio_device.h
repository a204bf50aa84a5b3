#pragma once
// What a virtio device model (virtio-blk, ...) gives its transport: identity, features, config
// space and the processing of a queue. The transport (vmm/virtio/mmio_transport.h) owns the
// registers, the status state machine and the queues; it calls the device with its lock held, on
// the event-loop thread (ProcessQueue) or a vCPU thread (config reads/writes, Reset).

#include <cstdint>
#include <span>
#include <string>

#include "vmm/virtio/virtqueue.h"

namespace strato::vmm {

namespace virtio {
inline constexpr uint64_t kFeatureVersion1 = 1ull << 32;      // VIRTIO_F_VERSION_1
inline constexpr uint64_t kFeatureIndirectDesc = 1ull << 28;  // VIRTIO_F_INDIRECT_DESC
inline constexpr uint64_t kFeatureEventIdx = 1ull << 29;      // VIRTIO_F_RING_EVENT_IDX
}  // namespace virtio

// Completes chains on one queue: the device calls Complete for each chain it handled.
class QueueCompleter {
 public:
  virtual ~QueueCompleter() = default;
  virtual void Complete(uint16_t head, uint32_t written) = 0;
};

// HandleChain's answer for a chain the device keeps to complete later (virtio-vsock holds rx
// buffers until it has a packet for the guest).
inline constexpr int64_t kChainDeferred = -2;

// Completes kept chains, from ProcessDeferred. False if the queue is not live any more (reset,
// not ready, device broken): the chain is then forgotten.
class DeferredCompleter {
 public:
  virtual ~DeferredCompleter() = default;
  virtual bool Complete(uint16_t queue, uint16_t head, uint32_t written) = 0;
};

class VirtioDevice {
 public:
  virtual ~VirtioDevice() = default;
  virtual uint32_t device_id() const = 0;
  virtual uint64_t device_features() const = 0;
  virtual uint16_t queue_count() const = 0;
  virtual uint16_t max_queue_size() const = 0;
  virtual void ReadConfig(uint64_t offset, std::span<uint8_t> data) = 0;
  virtual void WriteConfig(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Handles one validated chain of queue `queue`. Returns the bytes written into the chain's
  // device-writable buffers, or -1 if the chain is malformed for this device (the transport then
  // completes it with length 0 and marks the device broken).
  // A device may also return kChainDeferred and complete the chain later in ProcessDeferred.
  virtual int64_t HandleChain(uint16_t queue, const DescriptorChain& chain) = 0;
  // Work not tied to a new chain (host sockets became ready, replies to send): called after every
  // notification and by VirtioMmioTransport::ServiceDevice, whatever the device status.
  virtual void ProcessDeferred(DeferredCompleter&) {}
  // The driver reset the device (status 0): forget negotiated state.
  virtual void Reset() {}
};

}  // namespace strato::vmm
