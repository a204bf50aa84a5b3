// Fuzzes the vsock connection state machines (muxer + connections) with real unix sockets: the
// input is a script of guest packets (any op, flags, length, credit, ports from a small set so
// they hit live connections), host actions (connect + CONNECT line, write, shutdown, close,
// accept on PATH_6000), driver resets and rx fills of various sizes. Invariants: no crash or
// sanitizer report, every rx packet is well-formed for the guest, OP_RW never exceeds the credit
// the connection had just before, and the stream count stays within kMaxConnections.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "vmm/devices/vsock/muxer.h"
#include "vmm/memory/guest_memory.h"

using namespace strato::vmm;
namespace vs = strato::vmm::vsock;
using strato::UniqueFd;

namespace {

constexpr uint64_t kTxHeader = 0x1000, kTxPayload = 0x2000, kRx = 0x40000;
constexpr size_t kMaxClients = 8;
constexpr uint32_t kGuestPorts[] = {1024, 1025, 5000, 49152};
constexpr uint32_t kHostPorts[] = {6000, 7000};

class Script {
 public:
  Script(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool done() const { return pos_ >= size_; }
  uint8_t U8() { return pos_ < size_ ? data_[pos_++] : 0; }
  uint32_t U32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{U8()} << (8 * i);
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

UniqueFd Connect(const std::string& path) {
  UniqueFd s(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(s.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return s;
}

uint32_t HostPort(Script& s) {
  const uint8_t b = s.U8();
  return b < 0x80 ? vs::kFirstLocalPort + (b % 8) : kHostPorts[b % 2];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static GuestMemory memory(GuestMemory::kSizeAlignment);
  static const std::string path = "/tmp/strato-fuzz-vsock-" + std::to_string(::getpid());
  static UniqueFd host_service;  // PATH_6000: guest-initiated connections to port 6000
  static struct RemoveAtExit {
    ~RemoveAtExit() { ::unlink((path + "_6000").c_str()); }
  } remove_at_exit;
  if (!host_service.valid()) {
    ::unlink((path + "_6000").c_str());
    host_service = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, (path + "_6000").c_str(), sizeof addr.sun_path - 1);
    if (::bind(host_service.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(host_service.get(), 64) != 0) {
      std::abort();
    }
  }
  vs::Muxer mux(path, vs::kGuestCid);
  std::vector<UniqueFd> clients;
  Script s(data, size);
  char buf[8192];
  while (!s.done()) {
    const uint8_t action = s.U8();
    switch (action % 10) {
      case 0: {  // a host client asks for a guest port
        if (clients.size() >= kMaxClients) break;
        UniqueFd c = Connect(path);
        if (!c.valid()) break;
        const std::string line = (s.U8() & 1)
                                     ? "CONNECT " + std::to_string(kGuestPorts[s.U8() % 4]) + "\n"
                                     : std::string("CONNECT x\n");
        (void)!::send(c.get(), line.data(), line.size(), MSG_NOSIGNAL);
        clients.push_back(std::move(c));
        break;
      }
      case 1: {  // a host writes
        if (clients.empty()) break;
        const size_t n = 1 + s.U8() * 64;
        std::memset(buf, 'h', sizeof buf);
        (void)!::send(clients[s.U8() % clients.size()].get(), buf, std::min(n, sizeof buf),
                      MSG_NOSIGNAL | MSG_DONTWAIT);
        break;
      }
      case 2:  // a host shuts its send side
        if (!clients.empty()) ::shutdown(clients[s.U8() % clients.size()].get(), SHUT_WR);
        break;
      case 3:  // a host closes
        if (!clients.empty()) clients.erase(clients.begin() + s.U8() % clients.size());
        break;
      case 4:  // a host reads what it got
        for (UniqueFd& c : clients) {
          while (::recv(c.get(), buf, sizeof buf, MSG_DONTWAIT) > 0) {
          }
        }
        break;
      case 5: {  // the host service accepts
        UniqueFd a(::accept4(host_service.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
        if (a.valid() && clients.size() < kMaxClients) clients.push_back(std::move(a));
        break;
      }
      case 6: {  // a guest packet
        vs::Header h;
        h.src_cid = (s.U8() & 0x0f) == 0 ? 9 : vs::kGuestCid;
        h.dst_cid = (s.U8() & 0x0f) == 0 ? 5 : vs::kHostCid;
        h.src_port = kGuestPorts[s.U8() % 4];
        h.dst_port = HostPort(s);
        h.op = s.U8() % 9;
        h.type = (s.U8() & 0x1f) == 0 ? 2 : vs::kTypeStream;
        h.flags = s.U8() % 4;
        h.buf_alloc = (s.U8() & 1) ? s.U32() : 256 * 1024;
        h.fwd_cnt = s.U32();
        const uint32_t payload = h.op == static_cast<uint16_t>(vs::Op::kRw) ? s.U8() * 97u : 0;
        h.len = (s.U8() & 0x3f) == 0 ? payload + 1 : payload;
        uint8_t raw[vs::kHeaderSize];
        vs::EncodeHeader(h, raw);
        memory.Write(kTxHeader, raw);
        DescriptorChain chain;
        chain.buffers.push_back({kTxHeader, vs::kHeaderSize, false});
        chain.readable_bytes = vs::kHeaderSize;
        if (payload > 0) {
          chain.buffers.push_back({kTxPayload, payload, false});
          chain.readable_bytes += payload;
        }
        mux.OnGuestPacket(vs::ParseTxPacket(memory, chain, vs::kGuestCid));
        break;
      }
      case 7:
        mux.HandleSocketEvents();
        break;
      case 8: {  // the guest offers an rx buffer
        const uint32_t len = vs::kHeaderSize + s.U8() * 32u;
        DescriptorChain chain;
        chain.buffers.push_back({kRx, len, true});
        chain.writable_bytes = len;
        std::map<uint64_t, uint32_t> credit_before;
        for (uint32_t g : kGuestPorts) {
          for (uint32_t k = 0; k < 8; ++k) {
            for (uint32_t hp : {vs::kFirstLocalPort + k, kHostPorts[k % 2]}) {
              if (const vs::Connection* c = mux.FindConnection(hp, g)) {
                credit_before[(uint64_t{hp} << 32) | g] = c->PeerCredit();
              }
            }
          }
        }
        const vs::RxBuffer rx(memory, chain);
        const uint32_t used = mux.FillRx(rx);
        if (used == 0) break;
        uint8_t raw[vs::kHeaderSize];
        memory.Read(kRx, raw);
        const vs::Header h = vs::DecodeHeader(raw);
        if (used != vs::kHeaderSize + h.len || used > len) std::abort();
        if (h.src_cid != vs::kHostCid || h.dst_cid != vs::kGuestCid) std::abort();
        if (h.op == 0 || h.op > vs::kLastOp || h.type != vs::kTypeStream) std::abort();
        if (h.len != 0 && h.op != static_cast<uint16_t>(vs::Op::kRw)) std::abort();
        if (h.op == static_cast<uint16_t>(vs::Op::kRw)) {
          auto it = credit_before.find((uint64_t{h.src_port} << 32) | h.dst_port);
          if (h.len == 0 || h.len > vs::kMaxPayload) std::abort();
          if (it == credit_before.end() || h.len > it->second) std::abort();
        }
        break;
      }
      case 9:  // the driver resets the device
        mux.Reset();
        break;
    }
    if (mux.connection_count() + mux.handshake_count() > vs::kMaxConnections) std::abort();
  }
  return 0;
}
