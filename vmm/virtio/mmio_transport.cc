#include "vmm/virtio/mmio_transport.h"

#include <spdlog/spdlog.h>

namespace strato::vmm {

using namespace virtio_mmio;

namespace {
constexpr uint64_t kLow32 = 0xffffffffull;
void SetLow(uint64_t& v, uint32_t low) {
  v = (v & ~kLow32) | low;
}
void SetHigh(uint64_t& v, uint32_t high) {
  v = (v & kLow32) | (static_cast<uint64_t>(high) << 32);
}
}  // namespace

VirtioMmioTransport::VirtioMmioTransport(const GuestMemory& memory,
                                         std::shared_ptr<VirtioDevice> device,
                                         std::function<void()> interrupt,
                                         std::function<void(uint16_t)> kick)
    : memory_(memory),
      device_(std::move(device)),
      interrupt_(std::move(interrupt)),
      kick_(std::move(kick)),
      queues_(device_->queue_count()) {}

uint32_t VirtioMmioTransport::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

std::string VirtioMmioTransport::broken_reason() const {
  std::lock_guard lock(mu_);
  return broken_reason_;
}

void VirtioMmioTransport::Read(uint64_t offset, std::span<uint8_t> data) {
  std::lock_guard lock(mu_);
  if (offset >= kConfig) {
    device_->ReadConfig(offset - kConfig, data);
    return;
  }
  // 4.2.2.2: the driver accesses registers with 32-bit aligned reads.
  SetAccessValue(data, data.size() == 4 && offset % 4 == 0 ? ReadRegister(offset) : 0);
}

void VirtioMmioTransport::Write(uint64_t offset, std::span<const uint8_t> data) {
  std::optional<uint16_t> kicked;
  {
    std::lock_guard lock(mu_);
    if (offset >= kConfig) {
      device_->WriteConfig(offset - kConfig, data);
      return;
    }
    if (data.size() != 4 || offset % 4 != 0) return;
    const uint32_t value = static_cast<uint32_t>(AccessValue(data));
    if (offset == kQueueNotify) {
      if (value < queues_.size()) kicked = static_cast<uint16_t>(value);
    } else {
      WriteRegister(offset, value);
    }
  }
  if (kicked && kick_) kick_(*kicked);
}

VirtioMmioTransport::Queue* VirtioMmioTransport::SelectedQueue() {
  return queue_sel_ < queues_.size() ? &queues_[queue_sel_] : nullptr;
}

uint32_t VirtioMmioTransport::ReadRegister(uint64_t offset) {
  Queue* q = SelectedQueue();
  switch (offset) {
    case kMagicValue:
      return kMagic;
    case kVersion:
      return kTransportVersion;
    case kDeviceId:
      return device_->device_id();
    case kVendorId:
      return kVendor;
    case kDeviceFeatures: {
      const uint64_t f = device_->device_features();
      return device_features_sel_ == 0   ? static_cast<uint32_t>(f)
             : device_features_sel_ == 1 ? static_cast<uint32_t>(f >> 32)
                                         : 0;
    }
    case kQueueNumMax:
      return q != nullptr ? device_->max_queue_size() : 0;
    case kQueueReady:
      return q != nullptr && q->ready ? 1 : 0;
    case kInterruptStatus:
      return interrupt_status_;
    case kStatus:
      return status_;
    case kConfigGeneration:
      return config_generation_;
    default:
      return 0;
  }
}

void VirtioMmioTransport::WriteRegister(uint64_t offset, uint32_t value) {
  Queue* q = SelectedQueue();
  // Queue registers may only change before DRIVER_OK and while the queue is not ready (4.2.3.2).
  const bool queue_writable = q != nullptr && !q->ready && !(status_ & kStatusDriverOk);
  switch (offset) {
    case kDeviceFeaturesSel:
      device_features_sel_ = value;
      break;
    case kDriverFeaturesSel:
      driver_features_sel_ = value;
      break;
    case kDriverFeatures:
      if (status_ & kStatusFeaturesOk) break;  // frozen after FEATURES_OK
      if (driver_features_sel_ == 0) SetLow(driver_features_, value);
      if (driver_features_sel_ == 1) SetHigh(driver_features_, value);
      break;
    case kQueueSel:
      queue_sel_ = value;
      break;
    case kQueueNum:
      if (queue_writable) q->addresses.size = static_cast<uint16_t>(value > 0xffff ? 0 : value);
      break;
    case kQueueDescLow:
      if (queue_writable) SetLow(q->addresses.desc_table, value);
      break;
    case kQueueDescHigh:
      if (queue_writable) SetHigh(q->addresses.desc_table, value);
      break;
    case kQueueDriverLow:
      if (queue_writable) SetLow(q->addresses.avail_ring, value);
      break;
    case kQueueDriverHigh:
      if (queue_writable) SetHigh(q->addresses.avail_ring, value);
      break;
    case kQueueDeviceLow:
      if (queue_writable) SetLow(q->addresses.used_ring, value);
      break;
    case kQueueDeviceHigh:
      if (queue_writable) SetHigh(q->addresses.used_ring, value);
      break;
    case kQueueReady:
      if (q == nullptr) break;
      if (value == 0) {
        q->ready = false;
        q->ring.reset();
      } else if (!q->ready && (status_ & kStatusFeaturesOk)) {
        const std::string why =
            ValidateQueueLayout(memory_, q->addresses, device_->max_queue_size());
        if (!why.empty()) {
          // The driver reads QueueReady back as 0 and fails the probe.
          spdlog::warn("virtio device {}: queue {}: {}", device_->device_id(), queue_sel_, why);
          break;
        }
        q->ring = std::make_unique<SplitVirtqueue>(
            memory_, q->addresses, (driver_features_ & virtio::kFeatureEventIdx) != 0,
            (driver_features_ & virtio::kFeatureIndirectDesc) != 0);
        q->ready = true;
      }
      break;
    case kInterruptAck:
      interrupt_status_ &= ~value;
      break;
    case kStatus:
      SetStatus(value);
      break;
    default:
      break;  // read-only or unknown: ignored
  }
}

void VirtioMmioTransport::SetStatus(uint32_t value) {
  if (value == 0) {
    ResetLocked();
    return;
  }
  // Bits are only ever added (3.1.1); the device's own NEEDS_RESET stays.
  if ((value & status_) != status_ && !(status_ & kStatusNeedsReset)) {
    spdlog::debug("virtio device {}: status {:#x} clears bits of {:#x}", device_->device_id(),
                  value, status_);
  }
  const uint32_t added = value & ~status_;
  if (added & kStatusFeaturesOk) {
    const uint64_t offered = device_->device_features();
    // The driver may only accept offered features, and must accept VERSION_1 (no legacy).
    if ((driver_features_ & ~offered) != 0 || !(driver_features_ & virtio::kFeatureVersion1)) {
      value &= ~kStatusFeaturesOk;  // the driver reads it back and gives up
    }
  }
  if ((added & kStatusDriverOk) && !(value & kStatusFeaturesOk)) value &= ~kStatusDriverOk;
  status_ = (value & ~kStatusNeedsReset) | (status_ & kStatusNeedsReset);
}

void VirtioMmioTransport::ResetLocked() {
  status_ = 0;
  driver_features_ = 0;
  device_features_sel_ = driver_features_sel_ = queue_sel_ = 0;
  interrupt_status_ = 0;
  for (Queue& q : queues_) q = Queue{};
  broken_reason_.clear();
  device_->Reset();
}

void VirtioMmioTransport::RaiseInterrupt(uint32_t cause) {
  interrupt_status_ |= cause;
  if (interrupt_) interrupt_();
}

void VirtioMmioTransport::MarkBroken(const std::string& why) {
  if (status_ & kStatusNeedsReset) return;
  spdlog::warn("virtio device {}: {}: device needs reset", device_->device_id(), why);
  broken_reason_ = why;
  status_ |= kStatusNeedsReset;
  ++config_generation_;
  RaiseInterrupt(kInterruptConfigChange);
}

void VirtioMmioTransport::Notify(uint16_t queue) {
  std::lock_guard lock(mu_);
  if (queue >= queues_.size() || !(status_ & kStatusDriverOk) || (status_ & kStatusNeedsReset)) {
    return;
  }
  Queue& q = queues_[queue];
  if (!q.ready || !q.ring) return;
  bool interrupt = false;
  do {
    for (;;) {
      SplitVirtqueue::PopResult p = q.ring->Pop();
      if (p.empty) break;
      if (!p.chain) {
        if (p.bad_head) interrupt |= q.ring->PushUsed(*p.bad_head, 0);
        MarkBroken("queue " + std::to_string(queue) + ": " + p.error);
        if (interrupt) RaiseInterrupt(kInterruptUsedBuffer);
        return;
      }
      const int64_t written = device_->HandleChain(queue, *p.chain);
      if (written == kChainDeferred) continue;
      if (written < 0) {
        interrupt |= q.ring->PushUsed(p.chain->head, 0);
        MarkBroken("queue " + std::to_string(queue) + ": malformed request");
        if (interrupt) RaiseInterrupt(kInterruptUsedBuffer);
        return;
      }
      interrupt |= q.ring->PushUsed(p.chain->head, static_cast<uint32_t>(written));
    }
  } while (q.ring->EnableNotificationsAndCheck());
  interrupt |= ProcessDeferredLocked();
  if (interrupt) RaiseInterrupt(kInterruptUsedBuffer);
}

bool VirtioMmioTransport::ProcessDeferredLocked() {
  struct Completer : DeferredCompleter {
    VirtioMmioTransport& t;
    bool interrupt = false;
    explicit Completer(VirtioMmioTransport& transport) : t(transport) {}
    bool Complete(uint16_t queue, uint16_t head, uint32_t written) override {
      if (queue >= t.queues_.size() || !(t.status_ & kStatusDriverOk) ||
          (t.status_ & kStatusNeedsReset)) {
        return false;
      }
      Queue& q = t.queues_[queue];
      if (!q.ready || !q.ring) return false;
      interrupt |= q.ring->PushUsed(head, written);
      return true;
    }
  } completer(*this);
  device_->ProcessDeferred(completer);
  return completer.interrupt;
}

void VirtioMmioTransport::ServiceDevice() {
  std::lock_guard lock(mu_);
  if (ProcessDeferredLocked()) RaiseInterrupt(kInterruptUsedBuffer);
}

}  // namespace strato::vmm
