#pragma once
// The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2): one 4 KiB MMIO slot per device with
// the register layout below, feature negotiation, the device status state machine, queue setup
// with validated ring addresses, config space from 0x100, InterruptStatus/InterruptACK and reset.
//
// Notifications: the VM registers an ioeventfd for QueueNotify (datamatch = queue index); the
// event loop then calls Notify(queue). A QueueNotify write that reaches this model (no ioeventfd,
// e.g. in tests) only records the notification through `kick` (it never runs device work on the
// vCPU thread). Completions: InterruptStatus bit 0 is set and `interrupt` fires (the VM writes
// the device's irqfd).
//
// A hostile request (invalid chain) is completed with length 0 and the device is marked
// DEVICE_NEEDS_RESET (status bit 64, config-change interrupt): the driver must reset it. A
// corrupt ring does the same. Guest memory outside RAM is never touched.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vmm/bus/bus_device.h"
#include "vmm/memory/guest_memory.h"
#include "vmm/virtio/virtio_device.h"
#include "vmm/virtio/virtqueue.h"

namespace strato::vmm {

namespace virtio_mmio {
// Registers (4.2.2.1).
inline constexpr uint64_t kMagicValue = 0x000;
inline constexpr uint64_t kVersion = 0x004;
inline constexpr uint64_t kDeviceId = 0x008;
inline constexpr uint64_t kVendorId = 0x00c;
inline constexpr uint64_t kDeviceFeatures = 0x010;
inline constexpr uint64_t kDeviceFeaturesSel = 0x014;
inline constexpr uint64_t kDriverFeatures = 0x020;
inline constexpr uint64_t kDriverFeaturesSel = 0x024;
inline constexpr uint64_t kQueueSel = 0x030;
inline constexpr uint64_t kQueueNumMax = 0x034;
inline constexpr uint64_t kQueueNum = 0x038;
inline constexpr uint64_t kQueueReady = 0x044;
inline constexpr uint64_t kQueueNotify = 0x050;
inline constexpr uint64_t kInterruptStatus = 0x060;
inline constexpr uint64_t kInterruptAck = 0x064;
inline constexpr uint64_t kStatus = 0x070;
inline constexpr uint64_t kQueueDescLow = 0x080;
inline constexpr uint64_t kQueueDescHigh = 0x084;
inline constexpr uint64_t kQueueDriverLow = 0x090;
inline constexpr uint64_t kQueueDriverHigh = 0x094;
inline constexpr uint64_t kQueueDeviceLow = 0x0a0;
inline constexpr uint64_t kQueueDeviceHigh = 0x0a4;
inline constexpr uint64_t kConfigGeneration = 0x0fc;
inline constexpr uint64_t kConfig = 0x100;
inline constexpr uint32_t kMagic = 0x74726976;  // "virt"
inline constexpr uint32_t kTransportVersion = 2;
inline constexpr uint32_t kVendor = 0x4f525453;  // "STRO"
// Device status bits (2.1).
inline constexpr uint32_t kStatusAcknowledge = 1;
inline constexpr uint32_t kStatusDriver = 2;
inline constexpr uint32_t kStatusDriverOk = 4;
inline constexpr uint32_t kStatusFeaturesOk = 8;
inline constexpr uint32_t kStatusNeedsReset = 64;
inline constexpr uint32_t kStatusFailed = 128;
// InterruptStatus bits (4.2.2.1).
inline constexpr uint32_t kInterruptUsedBuffer = 1;
inline constexpr uint32_t kInterruptConfigChange = 2;
}  // namespace virtio_mmio

class VirtioMmioTransport : public BusDevice {
 public:
  VirtioMmioTransport(const GuestMemory& memory, std::shared_ptr<VirtioDevice> device,
                      std::function<void()> interrupt, std::function<void(uint16_t)> kick);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // The driver notified `queue` (ioeventfd): process every available chain. Event-loop thread.
  void Notify(uint16_t queue);

  // The device's own event source is ready (e.g. its sockets): lets it complete kept chains
  // (VirtioDevice::ProcessDeferred). Event-loop thread.
  void ServiceDevice();

  uint32_t status() const;
  uint16_t queue_count() const { return device_->queue_count(); }
  bool broken() const { return (status() & virtio_mmio::kStatusNeedsReset) != 0; }
  // Why the device went DEVICE_NEEDS_RESET ("" if it did not).
  std::string broken_reason() const;

 private:
  struct Queue {
    VirtqueueAddresses addresses;
    bool ready = false;
    std::unique_ptr<SplitVirtqueue> ring;
  };
  uint32_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint32_t value);
  void SetStatus(uint32_t value);
  void ResetLocked();
  void MarkBroken(const std::string& why);
  Queue* SelectedQueue();
  void RaiseInterrupt(uint32_t cause);
  // Runs the device's deferred work; true if a completion wants an interrupt.
  bool ProcessDeferredLocked();

  const GuestMemory& memory_;
  std::shared_ptr<VirtioDevice> device_;
  std::function<void()> interrupt_;
  std::function<void(uint16_t)> kick_;
  mutable std::mutex mu_;
  uint32_t status_ = 0;
  uint32_t device_features_sel_ = 0;
  uint32_t driver_features_sel_ = 0;
  uint64_t driver_features_ = 0;
  uint32_t queue_sel_ = 0;
  uint32_t interrupt_status_ = 0;
  uint32_t config_generation_ = 0;
  std::vector<Queue> queues_;
  std::string broken_reason_;
};

}  // namespace strato::vmm
