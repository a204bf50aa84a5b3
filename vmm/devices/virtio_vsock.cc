#include "vmm/devices/virtio_vsock.h"

#include <cstring>

namespace strato::vmm {

using namespace virtio_vsock;

VirtioVsock::VirtioVsock(const GuestMemory& memory, const std::string& socket_path,
                         uint64_t guest_cid)
    : memory_(memory), guest_cid_(guest_cid), muxer_(socket_path, guest_cid) {}

void VirtioVsock::ReadConfig(uint64_t offset, std::span<uint8_t> data) {
  uint8_t config[kConfigSize];
  std::memcpy(config + kConfigGuestCid, &guest_cid_, sizeof guest_cid_);
  for (size_t i = 0; i < data.size(); ++i) {
    data[i] = offset + i < kConfigSize ? config[offset + i] : 0;
  }
}

int64_t VirtioVsock::HandleChain(uint16_t queue, const DescriptorChain& chain) {
  switch (queue) {
    case kQueueRx:
      // Only whole device-writable buffers that hold a header are usable; anything else goes
      // back empty (Linux drops a used length below the header size). A driver cannot make us
      // keep more than one queue's worth (it may offer the same head again).
      if (chain.readable_bytes != 0 || chain.writable_bytes < vsock::kHeaderSize ||
          rx_chains_.size() >= kQueueSize) {
        return 0;
      }
      rx_chains_.push_back(chain);
      return kChainDeferred;
    case kQueueTx:
      muxer_.OnGuestPacket(vsock::ParseTxPacket(memory_, chain, guest_cid_));
      return 0;
    case kQueueEvent:
      if (event_chains_ >= kQueueSize) return 0;
      ++event_chains_;
      return kChainDeferred;
    default:
      return 0;
  }
}

void VirtioVsock::ProcessDeferred(DeferredCompleter& completer) {
  muxer_.HandleSocketEvents();
  while (!rx_chains_.empty() && muxer_.HasRxWork()) {
    const vsock::RxBuffer rx(memory_, rx_chains_.front());
    const uint32_t used = muxer_.FillRx(rx);
    if (used == 0) break;
    const uint16_t head = rx_chains_.front().head;
    rx_chains_.pop_front();
    if (!completer.Complete(kQueueRx, head, used)) {
      rx_chains_.clear();  // the queue is gone: its buffers with it
      break;
    }
  }
}

void VirtioVsock::Reset() {
  rx_chains_.clear();
  event_chains_ = 0;
  muxer_.Reset();
}

}  // namespace strato::vmm
