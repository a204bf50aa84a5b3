// virtio-vsock with its hybrid unix-socket backend, driven as the guest's driver would drive it
// (vsock_test_driver.h) against real unix sockets on the host side.

#include "vmm/devices/virtio_vsock.h"

#include <sys/stat.h>

#include "vmm/devices/vsock/muxer.h"
#include "vsock_test_driver.h"

using namespace vsock_test;
using vs::Op;

namespace {

constexpr uint32_t kGuestPort = 5000;
constexpr uint32_t kGuestEphemeral = 49152;

uint16_t U(Op op) {
  return static_cast<uint16_t>(op);
}

struct Fixture {
  std::string path;
  Driver d;
  explicit Fixture(const std::string& tag, uint32_t rx_size = 4096)
      : path(TempSocketPath(tag)), d(path, rx_size) {}
};

// Host client connects to `guest_port`; the guest accepts. Returns the client and the host port.
std::pair<UniqueFd, uint32_t> Establish(Driver& d, const std::string& path,
                                        uint32_t guest_port = kGuestPort) {
  UniqueFd client = ConnectUnix(path);
  WriteAll(client.get(), "CONNECT " + std::to_string(guest_port) + "\n");
  auto pkts = d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  const vs::Header& req = pkts[0].header;
  CHECK(req.op == U(Op::kRequest));
  CHECK(req.src_cid == vs::kHostCid);
  CHECK(req.dst_cid == vs::kGuestCid);
  CHECK(req.dst_port == guest_port);
  CHECK(req.type == vs::kTypeStream);
  CHECK(req.buf_alloc == vs::kHostBufAlloc);
  CHECK(req.src_port >= vs::kFirstLocalPort);
  d.Send(Op::kResponse, guest_port, req.src_port);
  const std::string ok = ReadAvailable(client.get(), 200, 64);
  REQUIRE(ok == "OK " + std::to_string(req.src_port) + "\n");
  return {std::move(client), req.src_port};
}

}  // namespace

TEST_CASE("vsock: device identity, features, guest CID, socket file") {
  Fixture f("identity");
  CHECK(f.d.R(virtio_mmio::kDeviceId) == 19u);
  f.d.W(virtio_mmio::kDeviceFeaturesSel, 0);
  CHECK(f.d.R(virtio_mmio::kDeviceFeatures) == 0u);
  f.d.W(virtio_mmio::kDeviceFeaturesSel, 1);
  CHECK(f.d.R(virtio_mmio::kDeviceFeatures) == 1u);  // VERSION_1 only
  CHECK(f.d.R(virtio_mmio::kConfig) == 3u);
  CHECK(f.d.R(virtio_mmio::kConfig + 4) == 0u);
  struct stat st {};
  REQUIRE(::stat(f.path.c_str(), &st) == 0);
  CHECK(S_ISSOCK(st.st_mode));
}

TEST_CASE("vsock: the socket file is replaced when stale and removed at exit") {
  const std::string path = TempSocketPath("stale");
  { UniqueFd stale = ListenUnix(path); }  // leaves the socket file behind
  {
    Driver d(path);
    UniqueFd c = ConnectUnix(path);  // the new listener answers
  }
  struct stat st {};
  CHECK(::stat(path.c_str(), &st) != 0);
}

TEST_CASE("vsock: host-initiated connect, OK line, data both ways") {
  Fixture f("hostconn");
  auto [client, host_port] = Establish(f.d, f.path);
  WriteAll(client.get(), "hello from the host");
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRw));
  CHECK(pkts[0].header.src_port == host_port);
  CHECK(pkts[0].header.dst_port == kGuestPort);
  CHECK(pkts[0].payload == "hello from the host");
  f.d.Send(Op::kRw, kGuestPort, host_port, "hello from the guest");
  CHECK(ReadAvailable(client.get()) == "hello from the guest");
  // Bytes the client sent right behind the CONNECT line belong to the stream.
  UniqueFd eager = ConnectUnix(f.path);
  WriteAll(eager.get(), "CONNECT 77\nearly bytes");
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  f.d.Send(Op::kResponse, 77, pkts[0].header.src_port);
  CHECK(ReadAvailable(eager.get(), 200, 64) ==
        "OK " + std::to_string(pkts[0].header.src_port) + "\n");
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].payload == "early bytes");
  CHECK(f.d.dev->muxer().connection_count() == 2);
}

TEST_CASE("vsock: nothing listening in the guest -> the host client sees EOF before OK") {
  Fixture f("refused");
  UniqueFd client = ConnectUnix(f.path);
  WriteAll(client.get(), "CONNECT 1024\n");
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  REQUIRE(pkts[0].header.op == U(Op::kRequest));
  f.d.Send(Op::kRst, 1024, pkts[0].header.src_port);
  f.d.Pump();
  CHECK(ReadAvailable(client.get()) == "<EOF>");
  CHECK(f.d.dev->muxer().connection_count() == 0);
  CHECK(f.d.PumpReceive().empty());  // an RST is never answered
}

TEST_CASE("vsock: garbage or over-long CONNECT lines close the client") {
  Fixture f("garbage");
  for (const std::string& line : std::vector<std::string>{
           "HELLO 5000\n", "CONNECT\n", "CONNECT 5x\n", "CONNECT -1\n", "CONNECT 4294967296\n",
           "connect 5000\n", "CONNECT 5000 \n", std::string(40, 'A')}) {
    UniqueFd client = ConnectUnix(f.path);
    WriteAll(client.get(), line);
    f.d.Pump();
    // Closed with unread bytes (the over-long line), the client may see ECONNRESET instead.
    const std::string seen = ReadAvailable(client.get());
    INFO(line);
    CHECK((seen == "<EOF>" || (line.size() > vs::kMaxConnectLine && seen == "<ERR>")));
  }
  CHECK(f.d.PumpReceive().empty());
  CHECK(f.d.dev->muxer().handshake_count() == 0);
  CHECK(vs::ParseConnectLine("CONNECT 4294967295") == 4294967295u);
  CHECK(vs::ParseConnectLine("CONNECT 0") == 0u);
}

TEST_CASE("vsock: packets for unknown connections and refused guest connects get RST") {
  Fixture f("unknown");
  f.d.Send(Op::kRw, kGuestEphemeral, 1234, "data");
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRst));
  CHECK(pkts[0].header.src_port == 1234);
  CHECK(pkts[0].header.dst_port == kGuestEphemeral);
  CHECK(pkts[0].header.dst_cid == vs::kGuestCid);
  // No PATH_6000 listener.
  f.d.Send(Op::kRequest, kGuestEphemeral + 1, 6000);
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRst));
  CHECK(pkts[0].header.src_port == 6000);
  CHECK(pkts[0].header.dst_port == kGuestEphemeral + 1);
  f.d.Send(Op::kRst, kGuestEphemeral, 1234);
  CHECK(f.d.PumpReceive().empty());
}

TEST_CASE("vsock: guest-initiated connect reaches PATH_<port>, data both ways") {
  Fixture f("guestconn");
  UniqueFd listener = ListenUnix(f.path + "_6000");
  f.d.Send(Op::kRequest, kGuestEphemeral, 6000);
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kResponse));
  CHECK(pkts[0].header.src_port == 6000);
  CHECK(pkts[0].header.dst_port == kGuestEphemeral);
  UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  REQUIRE(server.valid());
  f.d.Send(Op::kRw, kGuestEphemeral, 6000, "line from the guest\n");
  CHECK(ReadAvailable(server.get()) == "line from the guest\n");
  WriteAll(server.get(), "reply");
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].payload == "reply");
  // The guest closes: SHUTDOWN(RECEIVE|SEND) -> RST, and the host side sees EOF.
  f.d.Send(Op::kShutdown, kGuestEphemeral, 6000, "", vs::kShutdownReceive | vs::kShutdownSend);
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRst));
  CHECK(ReadAvailable(server.get()) == "<EOF>");
  CHECK(f.d.dev->muxer().connection_count() == 0);
  ::unlink((f.path + "_6000").c_str());
}

TEST_CASE("vsock: the device never sends more than the guest's credit") {
  Fixture f("credit");
  f.d.guest_buf_alloc = 10000;
  auto [client, host_port] = Establish(f.d, f.path);
  std::string data(50000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 23);
  WriteAll(client.get(), data);
  std::string got;
  uint32_t fwd = 0;
  for (int round = 0; round < 10 && got.size() < data.size(); ++round) {
    uint32_t this_round = 0;
    for (const ReceivedPacket& p : f.d.PumpReceive()) {
      REQUIRE(p.header.op == U(Op::kRw));
      CHECK(p.header.len <= vs::kMaxPayload);
      this_round += p.header.len;
      got += p.payload;
    }
    // In flight never exceeds buf_alloc: got - fwd <= 10000.
    CHECK(got.size() - fwd <= 10000);
    CHECK(this_round == std::min<size_t>(10000, data.size() - fwd));
    // The guest's application read everything: tell the device.
    fwd = static_cast<uint32_t>(got.size());
    f.d.guest_fwd_cnt = fwd;
    f.d.Send(Op::kCreditUpdate, kGuestPort, host_port);
  }
  CHECK(got == data);
}

TEST_CASE("vsock: guest data beyond our credit resets the connection") {
  Fixture f("overrun");
  auto [client, host_port] = Establish(f.d, f.path);
  const std::string chunk(vs::kMaxPayload, 'x');
  // Nobody reads the client: the socket buffer fills, then the ring (our 256 KiB credit), then
  // the guest keeps sending anyway.
  bool reset = false;
  for (int i = 0; i < 64 && !reset; ++i) {
    f.d.Send(Op::kRw, kGuestPort, host_port, chunk);
    for (const ReceivedPacket& p : f.d.PumpReceive()) reset = reset || p.header.op == U(Op::kRst);
  }
  CHECK(reset);
  CHECK(f.d.dev->muxer().FindConnection(host_port, kGuestPort) == nullptr);
}
