// The ttrpc server and client over real unix sockets: concurrency on one connection, status
// codes, malformed frames, the 4 MiB limit, and peers that go away.

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "proto/ttrpc/ttrpc.pb.h"
#include "tests/unit/ttrpc/rpc_error_of.h"
#include "ttrpc/client.h"
#include "ttrpc/frame.h"
#include "ttrpc/server.h"
#include "ttrpc/status.h"
#include "ttrpc/unix_socket.h"

using namespace strato::ttrpc;
using strato::UniqueFd;
using strato::ttrpc::testing::ErrorOf;
using namespace std::chrono_literals;

namespace {

constexpr const char* kService = "test.v1.Echo";

// A latch the blocking handler waits on.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int waiting = 0;
  void Open() {
    std::lock_guard l(mu);
    open = true;
    cv.notify_all();
  }
  void Wait() {
    std::unique_lock l(mu);
    ++waiting;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
  }
  void AwaitWaiter() {
    std::unique_lock l(mu);
    cv.wait(l, [&] { return waiting > 0; });
  }
};

struct Fixture {
  Server server;
  Gate gate;
  UniqueFd client_end;

  Fixture() {
    server.Register(kService, "Echo", [](const CallContext& ctx, const std::string& p) {
      auto it = ctx.metadata.find("ns");
      return p + (it == ctx.metadata.end() ? "" : "@" + it->second);
    });
    server.Register(kService, "Block", [this](const CallContext&, const std::string&) {
      gate.Wait();
      return std::string("released");
    });
    server.Register(kService, "Missing", [](const CallContext&, const std::string&) -> std::string {
      throw NotFound("process already finished");
    });
    server.Register(kService, "Crash", [](const CallContext&, const std::string&) -> std::string {
      throw std::runtime_error("boom");
    });
    server.Register(kService, "Big", [](const CallContext&, const std::string&) {
      return std::string(kMaxMessageLength + 16, 'z');
    });
    int sv[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
    client_end.reset(sv[0]);
    server.ServeConnection(UniqueFd(sv[1]));
  }
  ~Fixture() {
    gate.Open();
    server.Shutdown();
  }
};

// Sends raw bytes and reads one response frame (with a receive timeout so a missing answer
// fails the test instead of hanging it).
std::optional<Frame> ReadFrame(int fd, std::chrono::milliseconds timeout = 5000ms) {
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  FrameDecoder decoder;
  char buf[4096];
  for (;;) {
    if (auto f = decoder.Next()) return f;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    decoder.Feed(std::string_view(buf, static_cast<size_t>(n)));
  }
}

::ttrpc::Response DecodeResponse(const Frame& f) {
  ::ttrpc::Response r;
  REQUIRE(r.ParseFromString(f.payload));
  return r;
}

std::string RequestBytes(const std::string& method, const std::string& payload) {
  ::ttrpc::Request req;
  req.set_service(kService);
  req.set_method(method);
  req.set_payload(payload);
  return req.SerializeAsString();
}

}  // namespace

TEST_CASE("unary call returns the payload and sees the metadata") {
  Fixture fx;
  Client client(std::move(fx.client_end));
  CHECK(client.Call(kService, "Echo", "hi", 0ms, {{"ns", "default"}}) == "hi@default");
  CHECK(client.Call(kService, "Echo", "again") == "again");
}

TEST_CASE("a blocked call does not block other calls on the same connection") {
  Fixture fx;
  Client client(std::move(fx.client_end));
  auto blocked = std::async(std::launch::async, [&] { return client.Call(kService, "Block", ""); });
  fx.gate.AwaitWaiter();
  // Several calls complete while Block is still pending.
  for (int i = 0; i < 5; ++i)
    CHECK(client.Call(kService, "Echo", std::to_string(i)) == std::to_string(i));
  CHECK(blocked.wait_for(0ms) == std::future_status::timeout);
  fx.gate.Open();
  CHECK(blocked.get() == "released");
}

TEST_CASE("handler errors come back as status codes") {
  Fixture fx;
  Client client(std::move(fx.client_end));
  CHECK(ErrorOf([&] { client.Call(kService, "Missing", ""); }) ==
        std::pair{Code::kNotFound, std::string("process already finished: not found")});
  CHECK(ErrorOf([&] { client.Call(kService, "Crash", ""); }) ==
        std::pair{Code::kUnknown, std::string("boom")});
  CHECK(ErrorOf([&] { client.Call("other.Service", "Echo", ""); }) ==
        std::pair{Code::kUnimplemented, std::string("service other.Service")});
  CHECK(ErrorOf([&] { client.Call(kService, "Nope", ""); }) ==
        std::pair{Code::kUnimplemented, std::string("method Nope")});
  // A response over the limit is replaced by RESOURCE_EXHAUSTED.
  CHECK(ErrorOf([&] { client.Call(kService, "Big", ""); }).first == Code::kResourceExhausted);
  // The connection is still fine.
  CHECK(client.Call(kService, "Echo", "x") == "x");
}

TEST_CASE("server answers an OK call with status 0a 00 and the payload") {
  Fixture fx;
  int fd = fx.client_end.get();
  REQUIRE(SendAll(fd, EncodeFrame(1, FrameType::kRequest, 0, RequestBytes("Echo", "ab"))));
  auto f = ReadFrame(fd);
  REQUIRE(f);
  CHECK(f->header.type == 2);
  CHECK(f->header.stream_id == 1);
  CHECK(f->payload == std::string("\x0a\x00\x12\x02"
                                  "ab",
                                  6));
}

TEST_CASE("malformed frames get an error status or are ignored, and the server keeps serving") {
  Fixture fx;
  int fd = fx.client_end.get();

  SECTION("even stream id") {
    REQUIRE(SendAll(fd, EncodeFrame(2, FrameType::kRequest, 0, RequestBytes("Echo", "a"))));
    auto r = DecodeResponse(*ReadFrame(fd));
    CHECK(r.status().code() == static_cast<int>(Code::kInvalidArgument));
    CHECK(r.status().message() == "StreamID must be odd for client initiated streams");
  }
  SECTION("garbage protobuf") {
    REQUIRE(
        SendAll(fd, EncodeFrame(1, FrameType::kRequest, 0, std::string("\xff\xff\xff\xff", 4))));
    auto f = ReadFrame(fd);
    REQUIRE(f);
    CHECK(f->header.stream_id == 1);
    CHECK(DecodeResponse(*f).status().code() == static_cast<int>(Code::kInvalidArgument));
  }
  SECTION("oversized frame: RESOURCE_EXHAUSTED on its stream, bytes skipped") {
    const uint32_t big = kMaxMessageLength + 100;
    auto h = EncodeHeader(FrameHeader{big, 5, 1, 0});
    REQUIRE(SendAll(fd, std::string_view(reinterpret_cast<const char*>(h.data()), h.size())));
    auto f = ReadFrame(fd);
    REQUIRE(f);
    CHECK(f->header.stream_id == 5);
    CHECK(DecodeResponse(*f).status().code() == static_cast<int>(Code::kResourceExhausted));
    std::string filler(big, 'q');
    std::thread writer([&] { SendAll(fd, filler); });
    // Keep reading nothing until the filler is through; then a normal call works.
    writer.join();
  }
  SECTION("unknown frame type and response frames are ignored") {
    REQUIRE(SendAll(fd, EncodeFrame(1, static_cast<FrameType>(0x7f), 0, "junk")));
    REQUIRE(SendAll(fd, EncodeFrame(3, FrameType::kResponse, 0, "junk")));
    REQUIRE(SendAll(fd, EncodeFrame(5, FrameType::kData, 0, "junk")));
  }
  // In every case the next well-formed request is answered on its own stream id.
  REQUIRE(SendAll(fd, EncodeFrame(101, FrameType::kRequest, 0, RequestBytes("Echo", "ok"))));
  auto f = ReadFrame(fd);
  REQUIRE(f);
  CHECK(f->header.stream_id == 101);
  auto r = DecodeResponse(*f);
  CHECK(r.status().code() == 0);
  CHECK(r.payload() == "ok");
}

TEST_CASE("a peer closing mid-frame or with a call in flight leaves the server healthy") {
  Fixture fx;
  {
    Client client(std::move(fx.client_end));
    auto blocked = std::async(std::launch::async, [&] {
      return ErrorOf([&] { client.Call(kService, "Block", ""); }).first;
    });
    fx.gate.AwaitWaiter();
    client.Close();
    CHECK(blocked.get() == Code::kUnavailable);
  }
  fx.gate.Open();  // the handler finishes and its response goes nowhere
  // A partial frame then close.
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  fx.server.ServeConnection(UniqueFd(sv[1]));
  std::string frame = EncodeFrame(1, FrameType::kRequest, 0, RequestBytes("Echo", "x"));
  REQUIRE(SendAll(sv[0], std::string_view(frame).substr(0, 7)));
  ::close(sv[0]);
  for (int i = 0; i < 200 && fx.server.connection_count() > 0; ++i)
    std::this_thread::sleep_for(10ms);
  CHECK(fx.server.connection_count() == 0);
}

TEST_CASE("client calls fail with UNAVAILABLE when the server side closes, and time out") {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);
  UniqueFd server_end(sv[1]);
  Client client{UniqueFd(sv[0])};
  CHECK(ErrorOf([&] { client.Call(kService, "Echo", "", 50ms); }).first == Code::kDeadlineExceeded);
  // The request carried timeout_nano.
  auto f = ReadFrame(server_end.get());
  REQUIRE(f);
  ::ttrpc::Request req;
  REQUIRE(req.ParseFromString(f->payload));
  CHECK(req.timeout_nano() == 50'000'000);
  CHECK(f->header.stream_id == 1);
  auto pending = std::async(std::launch::async, [&] {
    return ErrorOf([&] { client.Call(kService, "Echo", ""); }).first;
  });
  auto second = ReadFrame(server_end.get());
  REQUIRE(second);
  CHECK(second->header.stream_id == 3);  // odd ids, going up by 2
  server_end.reset();
  CHECK(pending.get() == Code::kUnavailable);
  CHECK(client.closed());
}

TEST_CASE("Serve accepts on a listening socket - Dial checks the peer - Shutdown stops it") {
  auto dir = std::filesystem::temp_directory_path() / ("ttrpc-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "s.sock").string();
  Server server;
  server.Register(kService, "Echo", [](const CallContext&, const std::string& p) { return p; });
  UniqueFd listener = ListenUnix(path);
  std::thread serving([&] { server.Serve(std::move(listener)); });
  {
    auto client = Client::Dial("unix://" + path);
    CHECK(client->Call(kService, "Echo", "via listener") == "via listener");
  }
  server.Shutdown();
  serving.join();
  std::filesystem::remove_all(dir);
  CHECK_THROWS_WITH(
      ListenUnix(std::string(200, 'a')),
      "unix socket path '" + std::string(200, 'a') + "': length must be 1..107 bytes");
}

TEST_CASE("a peer with another uid is refused (SO_PEERCRED)") {
  if (::geteuid() != 0) {
    WARN("SKIP: needs root to connect as another uid");
    return;
  }
  auto dir = std::filesystem::temp_directory_path() / ("ttrpc-uid-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::permissions(dir, std::filesystem::perms::all);
  std::string path = (dir / "s.sock").string();
  Server server;
  server.Register(kService, "Echo", [](const CallContext&, const std::string& p) { return p; });
  UniqueFd listener = ListenUnix(path);
  std::filesystem::permissions(path, std::filesystem::perms::all);
  std::thread serving([&] { server.Serve(std::move(listener)); });
  std::string frame = EncodeFrame(1, FrameType::kRequest, 0, RequestBytes("Echo", "hi"));
  constexpr uid_t kNobody = 65534;
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Exit 0: the server closed without answering; 1: it answered; 2: setup failed.
    if (::setgid(kNobody) != 0 || ::setuid(kNobody) != 0) ::_exit(2);
    try {
      UniqueFd fd = ConnectUnix(path);
      SendAll(fd.get(), frame);
      char buf[64];
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      ::_exit(n > 0 ? 1 : 0);
    } catch (...) {
      ::_exit(2);
    }
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  // Our own uid is still served.
  auto client = Client::Dial(path);
  CHECK(client->Call(kService, "Echo", "same uid") == "same uid");
  client.reset();
  server.Shutdown();
  serving.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("requests beyond the per-connection in-flight limit get RESOURCE_EXHAUSTED") {
  Fixture fx;
  fx.server.set_max_in_flight(1);
  Client client(std::move(fx.client_end));
  auto blocked = std::async(std::launch::async, [&] { return client.Call(kService, "Block", ""); });
  fx.gate.AwaitWaiter();
  CHECK(ErrorOf([&] { client.Call(kService, "Echo", "x"); }) ==
        std::pair{Code::kResourceExhausted,
                  std::string("too many requests in flight on this connection (limit 1)")});
  fx.gate.Open();
  CHECK(blocked.get() == "released");
  // The slot is free again as soon as the answer arrived.
  CHECK(client.Call(kService, "Echo", "y") == "y");
}
