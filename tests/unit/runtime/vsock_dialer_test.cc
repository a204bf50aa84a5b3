// The hybrid-vsock dialer against a fake VMM socket speaking the CONNECT protocol: refusals while
// the "guest" boots, the reply read without consuming stream bytes, garbage replies, deadlines.
#include "runtime/vsock_dialer.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <thread>

#include "common/error.h"
#include "tests/unit/initramfs/cpio_test_support.h"

namespace strato::runtime {
namespace {

using initramfs::test::TempDir;
using namespace std::chrono_literals;

// A unix socket server that answers each connection with `respond(index, request line)`:
// the bytes to write back before closing ("" = close at once, like an unbound guest port).
class FakeVmmSocket {
 public:
  FakeVmmSocket(std::string path, std::function<std::string(int, const std::string&)> respond)
      : path_(std::move(path)), respond_(std::move(respond)) {
    listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener_.valid());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strcpy(address.sun_path, path_.c_str());
    REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener_.get(), 8) == 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeVmmSocket() {
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }
  int connections() const { return connections_; }
  std::string last_request() const { return last_request_; }

 private:
  void Serve() {
    for (int index = 0;; ++index) {
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client.valid()) return;
      ++connections_;
      std::string line;
      char c;
      while (::read(client.get(), &c, 1) == 1 && c != '\n') line += c;
      last_request_ = line;
      std::string reply = respond_(index, line);
      // MSG_NOSIGNAL: a dialer may have given up on this connection already.
      if (!reply.empty()) (void)!::send(client.get(), reply.data(), reply.size(), MSG_NOSIGNAL);
    }
  }

  std::string path_;
  std::function<std::string(int, const std::string&)> respond_;
  UniqueFd listener_;
  std::thread thread_;
  std::atomic<int> connections_{0};
  std::string last_request_;
};

std::string ReadAll(int fd) {
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_CASE("ParseConnectReply accepts only OK and a port number") {
  CHECK(ParseConnectReply("OK 1073741824") == 1073741824u);
  CHECK(ParseConnectReply("OK 0") == 0u);
  CHECK_FALSE(ParseConnectReply("OK "));
  CHECK_FALSE(ParseConnectReply("OK"));
  CHECK_FALSE(ParseConnectReply("OK 12x"));
  CHECK_FALSE(ParseConnectReply("OK 99999999999"));
  CHECK_FALSE(ParseConnectReply("ok 12"));
  CHECK_FALSE(ParseConnectReply("ERR 12"));
}

TEST_CASE("the dialer retries while nothing listens then keeps the stream bytes after OK") {
  TempDir dir;
  std::string path = dir / "vsock.sock";
  // Three refusals (EOF before OK), then the reply with stream data right behind it.
  FakeVmmSocket vmm(path, [](int index, const std::string&) -> std::string {
    return index < 3 ? "" : "OK 1073741825\nstream-bytes";
  });
  UniqueFd fd = DialVsock(path, 1024, std::chrono::steady_clock::now() + 10s, {}, 1ms);
  CHECK(vmm.connections() == 4);
  CHECK(vmm.last_request() == "CONNECT 1024");
  CHECK(ReadAll(fd.get()) == "stream-bytes");
}

TEST_CASE("an attempt left unanswered is closed and the dialer connects again") {
  TempDir dir;
  std::string path = dir / "vsock.sock";
  // The first connection gets no reply for longer than the attempt's reply timeout (then the fake
  // closes it); later ones are answered (those the dialer gave up on meanwhile see a dead peer).
  FakeVmmSocket vmm(path, [](int index, const std::string&) -> std::string {
    if (index == 0) {
      std::this_thread::sleep_for(300ms);
      return "";
    }
    return "OK 1073741826\nafter-retry";
  });
  UniqueFd fd = DialVsock(path, 1024, std::chrono::steady_clock::now() + 10s, {}, 1ms, 50ms);
  CHECK(vmm.connections() >= 2);
  CHECK(ReadAll(fd.get()) == "after-retry");
}

TEST_CASE("the dialer waits for the socket file to appear") {
  TempDir dir;
  std::string path = dir / "late.sock";
  std::unique_ptr<FakeVmmSocket> vmm;
  std::thread starter([&] {
    std::this_thread::sleep_for(50ms);
    vmm = std::make_unique<FakeVmmSocket>(path, [](int, const std::string&) { return "OK 7\n"; });
  });
  UniqueFd fd = DialVsock(path, 1025, std::chrono::steady_clock::now() + 10s, {}, 5ms);
  starter.join();
  CHECK(fd.valid());
  CHECK(vmm->last_request() == "CONNECT 1025");
}

TEST_CASE("a garbage reply to CONNECT is an error quoting it") {
  TempDir dir;
  std::string path = dir / "vsock.sock";
  FakeVmmSocket vmm(path, [](int, const std::string&) { return "HELLO there\n"; });
  CHECK_THROWS_WITH(
      DialVsock(path, 1024, std::chrono::steady_clock::now() + 5s),
      "vsock port 1024 via " + path + ": unexpected reply to CONNECT: \"HELLO there\"");
}

TEST_CASE("an endless reply line is refused") {
  TempDir dir;
  std::string path = dir / "vsock.sock";
  FakeVmmSocket vmm(path, [](int, const std::string&) { return std::string(100, 'O'); });
  CHECK_THROWS_WITH(DialVsock(path, 1024, std::chrono::steady_clock::now() + 5s),
                    "vsock port 1024 via " + path + ": reply to CONNECT longer than 32 bytes");
}

TEST_CASE("the dialer gives up at the deadline when nothing ever answers") {
  TempDir dir;
  std::string path = dir / "missing.sock";
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(DialVsock(path, 1024, start + 200ms, {}, 10ms),
                    "vsock port 1024 via " + path + ": no answer within 0 s");
  CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("a CONNECT left unanswered until the deadline is reported as no answer") {
  TempDir dir;
  std::string path = dir / "silent.sock";
  // Listening but never accepting: connect and the CONNECT line succeed, no reply ever comes.
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, path.c_str());
  REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::listen(listener.get(), 8) == 0);
  CHECK_FALSE(TryDialVsock(path, 1024, std::chrono::steady_clock::now() + 50ms).has_value());
  CHECK_THROWS_WITH(DialVsock(path, 1024, std::chrono::steady_clock::now() + 100ms, {}, 10ms),
                    "vsock port 1024 via " + path + ": no answer within 0 s");
}

TEST_CASE("the liveness check stops the dialer early") {
  TempDir dir;
  int checks = 0;
  auto check_alive = [&checks] {
    if (++checks == 3) throw Error("strato-vmm exited with code 4");
  };
  CHECK_THROWS_WITH(
      DialVsock(dir / "none.sock", 1024, std::chrono::steady_clock::now() + 10s, check_alive, 1ms),
      "strato-vmm exited with code 4");
  CHECK(checks == 3);
}

}  // namespace
}  // namespace strato::runtime
