#pragma once
// A host-side stand-in for the guest's virtio-vsock driver, for unit tests: it sets the device up
// through the virtio-mmio registers, keeps rx buffers posted in a 2 MiB GuestMemory, sends tx
// packets as header + payload descriptors, and collects what the device wrote. Plus small
// blocking helpers for the host side (unix sockets with timeouts).

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "vmm/devices/virtio_vsock.h"
#include "vmm/devices/vsock/packet.h"
#include "vmm/virtio/mmio_transport.h"

namespace vsock_test {

using namespace strato::vmm;
using strato::UniqueFd;
namespace vs = strato::vmm::vsock;

struct ReceivedPacket {
  vs::Header header;
  std::string payload;
  uint32_t used_len = 0;
};

constexpr uint16_t kQSize = 64;
constexpr uint64_t kRings[3] = {0x10000, 0x14000, 0x18000};  // desc; avail +0x1000; used +0x2000
constexpr uint64_t kRxBuffers = 0x40000;
constexpr uint64_t kRxBufferStride = 0x2000;
constexpr uint64_t kTxHeader = 0x100000;
constexpr uint64_t kTxPayload = 0x110000;

inline std::string TempSocketPath(const std::string& tag) {
  return (std::filesystem::temp_directory_path() /
          ("strato-vsock-" + std::to_string(::getpid()) + "-" + tag))
      .string();
}

class Driver {
 public:
  explicit Driver(const std::string& socket_path, uint32_t rx_buffer_size = 4096,
                  uint16_t rx_buffers = 32)
      : rx_buffer_size_(rx_buffer_size) {
    dev = std::make_shared<VirtioVsock>(memory, socket_path);
    t = std::make_unique<VirtioMmioTransport>(
        memory, dev, [this] { ++interrupts; }, nullptr);
    Init(rx_buffers);
  }

  // 3.1.1 driver initialization (a reset first), fresh rings, `rx_buffers` rx buffers posted.
  void Init(uint16_t rx_buffers = 32) {
    std::memset(memory.HostRange(kRings[0], 0xc000), 0, 0xc000);
    for (uint16_t& i : avail_idx_) i = 0;
    last_used_ = 0;
    W(virtio_mmio::kStatus, 0);
    W(virtio_mmio::kStatus, 1);
    W(virtio_mmio::kStatus, 3);
    W(virtio_mmio::kDriverFeaturesSel, 1);
    W(virtio_mmio::kDriverFeatures, 1);
    W(virtio_mmio::kStatus, 11);
    for (uint16_t q = 0; q < 3; ++q) {
      W(virtio_mmio::kQueueSel, q);
      W(virtio_mmio::kQueueNum, kQSize);
      W(virtio_mmio::kQueueDescLow, static_cast<uint32_t>(kRings[q]));
      W(virtio_mmio::kQueueDriverLow, static_cast<uint32_t>(kRings[q] + 0x1000));
      W(virtio_mmio::kQueueDeviceLow, static_cast<uint32_t>(kRings[q] + 0x2000));
      W(virtio_mmio::kQueueReady, 1);
    }
    W(virtio_mmio::kStatus, 15);
    REQUIRE(R(virtio_mmio::kStatus) == 15u);
    for (uint16_t i = 0; i < rx_buffers; ++i) PostRx(i, false);
    t->Notify(virtio_vsock::kQueueRx);
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
  void Desc(uint16_t q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    uint8_t d[16];
    std::memcpy(d, &addr, 8);
    std::memcpy(d + 8, &len, 4);
    std::memcpy(d + 12, &flags, 2);
    std::memcpy(d + 14, &next, 2);
    memory.Write(kRings[q] + 16ull * i, d);
  }
  void MakeAvailable(uint16_t q, uint16_t head) {
    const uint64_t avail = kRings[q] + 0x1000;
    memory.WriteObject<uint16_t>(avail + 4 + 2ull * (avail_idx_[q] % kQSize), head);
    ++avail_idx_[q];
    memory.WriteObject<uint16_t>(avail + 2, avail_idx_[q]);
  }
  void PostRx(uint16_t i, bool notify = true) {
    Desc(0, i, kRxBuffers + i * kRxBufferStride, rx_buffer_size_, virtq::kDescFlagWrite, 0);
    MakeAvailable(0, i);
    if (notify) t->Notify(virtio_vsock::kQueueRx);
  }

  // Sends header + payload on the tx queue (descriptor lengths can be forced for bad packets).
  void SendRaw(const vs::Header& h, const std::string& payload, uint32_t header_desc_len,
               uint32_t payload_desc_len) {
    uint8_t raw[vs::kHeaderSize];
    vs::EncodeHeader(h, raw);
    memory.Write(kTxHeader, raw);
    memory.Write(kTxPayload, std::span<const uint8_t>(
                                 reinterpret_cast<const uint8_t*>(payload.data()), payload.size()));
    const bool has_payload = payload_desc_len > 0;
    Desc(1, 0, kTxHeader, header_desc_len, has_payload ? virtq::kDescFlagNext : 0, 1);
    if (has_payload) Desc(1, 1, kTxPayload, payload_desc_len, 0, 0);
    MakeAvailable(1, 0);
    t->Notify(virtio_vsock::kQueueTx);
  }
  void Send(vs::Op op, uint32_t guest_port, uint32_t host_port, const std::string& payload = "",
            uint32_t flags = 0) {
    vs::Header h;
    h.src_cid = vs::kGuestCid;
    h.dst_cid = vs::kHostCid;
    h.src_port = guest_port;
    h.dst_port = host_port;
    h.len = static_cast<uint32_t>(payload.size());
    h.op = static_cast<uint16_t>(op);
    h.flags = flags;
    h.buf_alloc = guest_buf_alloc;
    h.fwd_cnt = guest_fwd_cnt;
    SendRaw(h, payload, vs::kHeaderSize, static_cast<uint32_t>(payload.size()));
  }

  // Lets the device handle its sockets until nothing happens for `quiet`.
  void Pump(std::chrono::milliseconds quiet = std::chrono::milliseconds(30)) {
    t->ServiceDevice();
    pollfd p{dev->poll_fd(), POLLIN, 0};
    while (::poll(&p, 1, static_cast<int>(quiet.count())) > 0) t->ServiceDevice();
  }

  // Packets the device completed since the last call; their buffers are posted again.
  std::vector<ReceivedPacket> Receive() {
    std::vector<ReceivedPacket> out;
    const uint64_t used = kRings[0] + 0x2000;
    uint16_t idx;
    memory.Read(used + 2, {reinterpret_cast<uint8_t*>(&idx), 2});
    while (last_used_ != idx) {
      uint32_t elem[2];
      memory.Read(used + 4 + 8ull * (last_used_ % kQSize),
                  {reinterpret_cast<uint8_t*>(elem), sizeof elem});
      ++last_used_;
      const uint16_t head = static_cast<uint16_t>(elem[0]);
      uint8_t raw[vs::kHeaderSize];
      const uint64_t buf = kRxBuffers + head * kRxBufferStride;
      memory.Read(buf, raw);
      ReceivedPacket p;
      p.header = vs::DecodeHeader(raw);
      p.used_len = elem[1];
      REQUIRE(p.used_len == vs::kHeaderSize + p.header.len);
      p.payload.resize(p.header.len);
      memory.Read(buf + vs::kHeaderSize,
                  {reinterpret_cast<uint8_t*>(p.payload.data()), p.payload.size()});
      out.push_back(std::move(p));
      PostRx(head, false);
    }
    t->Notify(virtio_vsock::kQueueRx);
    return out;
  }
  // Pump + Receive.
  std::vector<ReceivedPacket> PumpReceive() {
    Pump();
    return Receive();
  }

  GuestMemory memory{GuestMemory::kSizeAlignment};
  std::shared_ptr<VirtioVsock> dev;
  std::unique_ptr<VirtioMmioTransport> t;
  int interrupts = 0;
  uint32_t guest_buf_alloc = 256 * 1024;
  uint32_t guest_fwd_cnt = 0;

 private:
  uint32_t rx_buffer_size_;
  uint16_t avail_idx_[3] = {};
  uint16_t last_used_ = 0;
};

inline UniqueFd ConnectUnix(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return s;
}

inline UniqueFd ListenUnix(const std::string& path) {
  ::unlink(path.c_str());
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  REQUIRE(::bind(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(s.get(), 4) == 0);
  return s;
}

inline void WriteAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    done += static_cast<size_t>(n);
  }
}

// What arrives within `timeout_ms` (up to `max` bytes; once data came, until a 20 ms pause);
// "<EOF>" appended at end of stream, "<ERR>" on an error (ECONNRESET).
inline std::string ReadAvailable(int fd, int timeout_ms = 200, size_t max = 1 << 20) {
  constexpr int kPauseMs = 20;
  std::string out;
  char buf[65536];
  pollfd p{fd, POLLIN, 0};
  while (out.size() < max && ::poll(&p, 1, out.empty() ? timeout_ms : kPauseMs) > 0) {
    const ssize_t n = ::recv(fd, buf, std::min(sizeof buf, max - out.size()), MSG_DONTWAIT);
    if (n == 0) return out + "<EOF>";
    if (n < 0) {
      if (errno == EAGAIN) continue;
      return out + "<ERR>";
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace vsock_test
