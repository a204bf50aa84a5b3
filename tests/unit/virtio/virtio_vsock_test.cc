// virtio-vsock with its hybrid unix-socket backend, driven as the guest's driver would drive it
// (vsock_test_driver.h) against real unix sockets on the host side.

#include "vmm/devices/virtio_vsock.h"

#include <sys/stat.h>

#include <thread>

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

TEST_CASE("vsock: half-close both ways, then the guest's close is answered with RST") {
  Fixture f("halfclose");
  auto [client, host_port] = Establish(f.d, f.path);
  WriteAll(client.get(), "last words");
  REQUIRE(::shutdown(client.get(), SHUT_WR) == 0);
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 2);
  CHECK(pkts[0].payload == "last words");
  CHECK(pkts[1].header.op == U(Op::kShutdown));
  CHECK(pkts[1].header.flags == vs::kShutdownSend);
  // The other direction still works.
  f.d.Send(Op::kRw, kGuestPort, host_port, "still talking");
  CHECK(ReadAvailable(client.get()) == "still talking");
  // The guest shuts its send side: the host reads EOF.
  f.d.Send(Op::kShutdown, kGuestPort, host_port, "", vs::kShutdownSend);
  CHECK(ReadAvailable(client.get()) == "<EOF>");
  CHECK(f.d.PumpReceive().empty());
  // Linux's close(): SHUTDOWN(RECEIVE|SEND), answered by RST; the connection is gone.
  f.d.Send(Op::kShutdown, kGuestPort, host_port, "", vs::kShutdownReceive | vs::kShutdownSend);
  pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRst));
  CHECK(f.d.dev->muxer().connection_count() == 0);
}

TEST_CASE("vsock: a host close delivers what it sent, then SHUTDOWN(RECEIVE|SEND)") {
  Fixture f("hostclose");
  auto [client, host_port] = Establish(f.d, f.path);
  WriteAll(client.get(), "bye");
  client.reset();
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 2);
  CHECK(pkts[0].payload == "bye");
  CHECK(pkts[1].header.op == U(Op::kShutdown));
  CHECK(pkts[1].header.flags == (vs::kShutdownReceive | vs::kShutdownSend));
  CHECK(f.d.dev->muxer().connection_count() == 0);
  // Linux answers with RST: it matches nothing and is not answered.
  f.d.Send(Op::kRst, kGuestPort, host_port);
  CHECK(f.d.PumpReceive().empty());
}

TEST_CASE("vsock: guest data to a host that closed resets the connection") {
  Fixture f("epipe");
  UniqueFd listener = ListenUnix(f.path + "_7000");
  f.d.Send(Op::kRequest, kGuestEphemeral, 7000);
  REQUIRE(f.d.PumpReceive().size() == 1);
  { UniqueFd server(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC)); }
  f.d.Send(Op::kRw, kGuestEphemeral, 7000, "into the void");
  auto pkts = f.d.PumpReceive();
  REQUIRE(!pkts.empty());
  CHECK(pkts.back().header.op == U(Op::kRst));
  CHECK(f.d.dev->muxer().connection_count() == 0);
  ::unlink((f.path + "_7000").c_str());
}

TEST_CASE("vsock: malformed guest packets are reset or dropped, the device keeps working") {
  Fixture f("malformed");
  auto [client, host_port] = Establish(f.d, f.path);
  auto header = [&](Op op, uint32_t len) {
    vs::Header h;
    h.src_cid = vs::kGuestCid;
    h.dst_cid = vs::kHostCid;
    h.src_port = kGuestEphemeral;
    h.dst_port = 4242;
    h.len = len;
    h.op = static_cast<uint16_t>(op);
    h.buf_alloc = 4096;
    return h;
  };
  auto expect_rst = [&](const vs::Header& h, const std::string& payload, uint32_t header_len,
                        uint32_t payload_len) {
    f.d.SendRaw(h, payload, header_len, payload_len);
    auto pkts = f.d.PumpReceive();
    REQUIRE(pkts.size() == 1);
    CHECK(pkts[0].header.op == U(Op::kRst));
    CHECK(pkts[0].header.dst_port == h.src_port);
    CHECK(pkts[0].header.src_port == h.dst_port);
  };
  auto expect_nothing = [&](const vs::Header& h, uint32_t header_len) {
    f.d.SendRaw(h, "", header_len, 0);
    CHECK(f.d.PumpReceive().empty());
  };
  SECTION("length beyond the descriptors") {
    expect_rst(header(Op::kRw, 100), "0123456789", 44, 10);
  }
  SECTION("length above 64 KiB") {
    expect_rst(header(Op::kRw, 70000), std::string(70000, 'z'), 44, 70000);
  }
  SECTION("unknown op") {
    vs::Header h = header(Op::kRw, 0);
    h.op = 9;
    expect_rst(h, "", 44, 0);
    h.op = 0;
    expect_rst(h, "", 44, 0);
  }
  SECTION("payload on a non-RW op") {
    expect_rst(header(Op::kRequest, 4), "abcd", 44, 4);
  }
  SECTION("SEQPACKET type") {
    vs::Header h = header(Op::kRequest, 0);
    h.type = 2;
    expect_rst(h, "", 44, 0);
  }
  SECTION("destination CID other than the host") {
    vs::Header h = header(Op::kRequest, 0);
    h.dst_cid = 7;
    expect_rst(h, "", 44, 0);
  }
  SECTION("spoofed source CID: dropped") {
    vs::Header h = header(Op::kRequest, 0);
    h.src_cid = 2;
    expect_nothing(h, 44);
  }
  SECTION("short header: dropped") {
    expect_nothing(header(Op::kRequest, 0), 20);
  }
  SECTION("a bad RST is dropped, never answered") {
    vs::Header h = header(Op::kRst, 0);
    h.op = static_cast<uint16_t>(Op::kRst);
    h.type = 2;
    expect_nothing(h, 44);
  }
  SECTION("a bad packet on a live connection resets it") {
    vs::Header h = header(Op::kRw, 100);
    h.src_port = kGuestPort;
    h.dst_port = host_port;
    expect_rst(h, "short", 44, 5);
    CHECK(ReadAvailable(client.get()) == "<EOF>");
  }
  SECTION("a second REQUEST on a live connection resets it") {
    vs::Header h = header(Op::kRequest, 0);
    h.src_port = kGuestPort;
    h.dst_port = host_port;
    expect_rst(h, "", 44, 0);
    CHECK(ReadAvailable(client.get()) == "<EOF>");
  }
  CHECK((f.d.R(virtio_mmio::kStatus) & virtio_mmio::kStatusNeedsReset) == 0);
  // Still serving: a new connection works end to end.
  auto [again, port2] = Establish(f.d, f.path, 99);
  WriteAll(again.get(), "ok");
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].payload == "ok");
}

TEST_CASE("vsock: rx buffers too small for a header are returned unused") {
  const std::string path = TempSocketPath("tinyrx");
  Driver d(path, 16);
  UniqueFd client = ConnectUnix(path);
  WriteAll(client.get(), "CONNECT 5\n");
  // Every posted buffer came back with length 0 (Linux drops them); nothing else was written.
  d.Pump();
  CHECK(d.dev->muxer().connection_count() == 1);
}

TEST_CASE("vsock: a driver reset closes the guest's connections, waiting clients stay") {
  Fixture f("reset");
  auto [client, host_port] = Establish(f.d, f.path);
  f.d.W(virtio_mmio::kStatus, 0);
  CHECK(ReadAvailable(client.get()) == "<EOF>");
  CHECK(f.d.dev->muxer().connection_count() == 0);
  // A client arriving while no driver runs: its REQUEST waits for the next driver.
  UniqueFd waiting = ConnectUnix(f.path);
  WriteAll(waiting.get(), "CONNECT 5000\n");
  f.d.Pump();
  CHECK(f.d.dev->muxer().connection_count() == 1);
  // Linux resets the device when its driver probes: the waiting client survives that too.
  f.d.W(virtio_mmio::kStatus, 0);
  f.d.Init();
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kRequest));
  CHECK(pkts[0].header.dst_port == 5000);
  f.d.Send(Op::kResponse, 5000, pkts[0].header.src_port);
  CHECK(ReadAvailable(waiting.get(), 200, 64) ==
        "OK " + std::to_string(pkts[0].header.src_port) + "\n");
}

TEST_CASE("vsock: at most kMaxConnections streams are open") {
  Fixture f("limit");
  std::vector<UniqueFd> clients;
  for (size_t i = 0; i < vs::kMaxConnections; ++i) {
    clients.push_back(ConnectUnix(f.path));
    WriteAll(clients.back().get(), "CONNECT " + std::to_string(i) + "\n");
    if (i % 32 == 31) f.d.Pump(std::chrono::milliseconds(5));
  }
  f.d.Pump();
  CHECK(f.d.dev->muxer().connection_count() == vs::kMaxConnections);
  UniqueFd extra = ConnectUnix(f.path);
  f.d.Pump();
  CHECK(ReadAvailable(extra.get()) == "<EOF>");
  // The guest's own connect is refused too.
  UniqueFd listener = ListenUnix(f.path + "_8000");
  f.d.Receive();
  f.d.Send(Op::kRequest, kGuestEphemeral, 8000);
  bool refused = false;
  for (int i = 0; i < 20 && !refused; ++i) {
    for (const ReceivedPacket& p : f.d.PumpReceive()) {
      refused = refused || (p.header.op == U(Op::kRst) && p.header.dst_port == kGuestEphemeral);
    }
  }
  CHECK(refused);
  ::unlink((f.path + "_8000").c_str());
}

TEST_CASE("vsock: the device returns credit as the host reads, and on CREDIT_REQUEST") {
  Fixture f("givecredit");
  auto [client, host_port] = Establish(f.d, f.path);
  f.d.Send(Op::kCreditRequest, kGuestPort, host_port);
  auto pkts = f.d.PumpReceive();
  REQUIRE(pkts.size() == 1);
  CHECK(pkts[0].header.op == U(Op::kCreditUpdate));
  CHECK(pkts[0].header.buf_alloc == vs::kHostBufAlloc);
  CHECK(pkts[0].header.fwd_cnt == 0);
  // The guest uses its whole credit twice over, sending only what the device's updates allow.
  std::string sent, received;
  uint32_t guest_view_fwd = 0;
  for (int i = 0; i < 64 && sent.size() < 2 * vs::kHostBufAlloc; ++i) {
    const uint32_t credit =
        vs::kHostBufAlloc - (static_cast<uint32_t>(sent.size()) - guest_view_fwd);
    if (credit > 0) {
      std::string chunk(std::min<uint32_t>(credit, vs::kMaxPayload),
                        static_cast<char>('A' + i % 26));
      f.d.Send(Op::kRw, kGuestPort, host_port, chunk);
      sent += chunk;
    }
    received += ReadAvailable(client.get(), 10);
    for (const ReceivedPacket& p : f.d.PumpReceive()) {
      REQUIRE(p.header.op == U(Op::kCreditUpdate));
      CHECK(p.header.fwd_cnt <= received.size());
      guest_view_fwd = p.header.fwd_cnt;
    }
  }
  received += ReadAvailable(client.get(), 50);
  CHECK(sent.size() == 2 * vs::kHostBufAlloc);
  CHECK(received == sent);
  CHECK(f.d.dev->muxer().FindConnection(host_port, kGuestPort) != nullptr);
}

TEST_CASE("vsock: resets owed for unknown connections are bounded") {
  const std::string path = TempSocketPath("flood");
  Driver d(path, 4096, 0);  // no rx buffers yet: the resets queue up
  for (uint32_t i = 0; i < vs::kMaxPendingResets + 100; ++i) {
    d.Send(Op::kRw, kGuestEphemeral + i, 1234, "x");
  }
  for (uint16_t i = 0; i < 32; ++i) d.PostRx(i, false);
  size_t resets = 0;
  for (int round = 0; round < 40; ++round) {
    d.t->Notify(virtio_vsock::kQueueRx);
    for (const ReceivedPacket& p : d.PumpReceive()) {
      CHECK(p.header.op == U(Op::kRst));
      ++resets;
    }
  }
  CHECK(resets == vs::kMaxPendingResets);
}

TEST_CASE("vsock: guest data not yet taken by the host socket is written when the VMM exits") {
  const std::string path = TempSocketPath("drain");
  auto d = std::make_unique<Driver>(path);
  auto [client, host_port] = Establish(*d, path);
  // The client reads nothing yet: fill the socket buffer and part of the ring, within credit.
  std::string sent;
  for (int i = 0; i < 64; ++i) {
    const vs::Connection* c = d->dev->muxer().FindConnection(host_port, kGuestPort);
    REQUIRE(c != nullptr);
    if (c->tx_pending() > 0) break;
    const std::string chunk(16384, static_cast<char>('a' + i % 26));
    d->Send(Op::kRw, kGuestPort, host_port, chunk);
    sent += chunk;
  }
  REQUIRE(d->dev->muxer().FindConnection(host_port, kGuestPort)->tx_pending() > 0);
  // The VMM goes away (device destroyed) while the host reads slowly.
  std::thread exit_vmm([&d] { d.reset(); });
  std::string received;
  for (;;) {
    const std::string got = ReadAvailable(client.get(), 3000, 65536);
    const bool eof = got.size() >= 5 && got.compare(got.size() - 5, 5, "<EOF>") == 0;
    received += eof ? got.substr(0, got.size() - 5) : got;
    if (eof || got.empty()) break;
  }
  exit_vmm.join();
  CHECK(received.size() == sent.size());
  CHECK(received == sent);
}
