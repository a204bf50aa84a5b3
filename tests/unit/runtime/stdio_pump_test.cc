// The stdio pumps: bytes copied exactly, the half-close after end of input, cancellation while
// waiting for input, a write error reported.
#include "runtime/stdio_pump.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <future>
#include <thread>

namespace strato::runtime {
namespace {

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST_CASE("Pump copies a pipe into a socket and half-closes it at end of input") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  UniqueFd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  UniqueFd host_end(pair[0]), guest_end(pair[1]);

  std::string data(300 * 1024, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  auto pumped = std::async(std::launch::async, [&] {
    return Pump(pipe_read.get(), host_end.get(), nullptr, /*half_close_to=*/true);
  });
  auto received = std::async(std::launch::async, [&] { return ReadAll(guest_end.get()); });
  REQUIRE(::write(pipe_write.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size()));
  pipe_write.reset();
  PumpResult result = pumped.get();
  CHECK(result.reached_eof);
  CHECK(result.error == 0);
  CHECK(result.bytes == data.size());
  // The guest end saw end of file (the half-close) after exactly the bytes sent.
  CHECK(received.get() == data);
}

TEST_CASE("Pump stops when cancelled while waiting for input") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  UniqueFd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  UniqueFd a(pair[0]), b(pair[1]);
  PumpCanceller canceller;
  auto pumped = std::async(std::launch::async,
                           [&] { return Pump(pipe_read.get(), a.get(), &canceller, true); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  canceller.Cancel();
  PumpResult result = pumped.get();
  CHECK_FALSE(result.reached_eof);
  CHECK(result.bytes == 0);
}

TEST_CASE("Pump reports a failed write (reader gone)") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  UniqueFd pipe_read(pipe_fds[0]), pipe_write(pipe_fds[1]);
  int out_fds[2];
  REQUIRE(::pipe(out_fds) == 0);
  UniqueFd out_read(out_fds[0]), out_write(out_fds[1]);
  out_read.reset();
  // SIGPIPE would end the test binary: ignore it as `strato run` blocks it.
  struct sigaction ignore {
  }, old{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old);
  REQUIRE(::write(pipe_write.get(), "x", 1) == 1);
  PumpResult result = Pump(pipe_read.get(), out_write.get(), nullptr, false);
  ::sigaction(SIGPIPE, &old, nullptr);
  CHECK(result.error == EPIPE);
  CHECK_FALSE(result.reached_eof);
}

TEST_CASE("Pump treats a closed source fd as end of input") {
  int pair[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  UniqueFd a(pair[0]), b(pair[1]);
  int closed = ::open("/dev/null", O_RDONLY);
  ::close(closed);
  PumpResult result = Pump(closed, a.get(), nullptr, true);
  CHECK(result.reached_eof);
  CHECK(ReadAll(b.get()).empty());
}

}  // namespace
}  // namespace strato::runtime
