#include "runtime/vsock_dialer.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace strato::runtime {
namespace {

constexpr std::string_view kReplyPrefix = "OK ";

int MillisecondsUntil(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(std::min<int64_t>(left.count(), 1 << 30));
}

void WriteAll(int fd, std::string_view data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) ThrowErrno(what);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::optional<uint32_t> ParseConnectReply(const std::string& line) {
  if (line.size() <= kReplyPrefix.size() || line.compare(0, kReplyPrefix.size(), kReplyPrefix) != 0)
    return std::nullopt;
  uint32_t port = 0;
  const char* first = line.data() + kReplyPrefix.size();
  const char* last = line.data() + line.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc() || end != last) return std::nullopt;
  return port;
}

std::optional<UniqueFd> TryDialVsock(const std::string& socket_path, uint32_t port,
                                     Deadline deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof address.sun_path) {
    throw Error("vsock socket path too long for a unix socket: " + socket_path);
  }
  std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) ThrowErrno("socket(AF_UNIX)");
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    // Not listening yet (the VMM is still starting) or gone: the caller decides.
    if (errno == ENOENT || errno == ECONNREFUSED) return std::nullopt;
    ThrowErrno("connect " + socket_path);
  }
  try {
    WriteAll(fd.get(), "CONNECT " + std::to_string(port) + "\n", "write CONNECT to " + socket_path);
  } catch (const Error&) {
    return std::nullopt;  // the VMM closed it already (EPIPE/ECONNRESET): not there yet
  }
  std::string line;
  while (true) {
    pollfd p{fd.get(), POLLIN, 0};
    int ready = ::poll(&p, 1, MillisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) ThrowErrno("poll " + socket_path);
    if (ready == 0) return std::nullopt;  // DialVsock reports the deadline
    char c;
    ssize_t n = ::read(fd.get(), &c, 1);  // one byte: stream data follows the newline
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET) return std::nullopt;
    if (n < 0) ThrowErrno("read from " + socket_path);
    if (n == 0) return std::nullopt;  // nothing listens on the port (yet)
    if (c == '\n') break;
    line += c;
    if (line.size() > kMaxConnectReplyBytes) {
      throw Error("vsock port " + std::to_string(port) + " via " + socket_path +
                  ": reply to CONNECT longer than " + std::to_string(kMaxConnectReplyBytes) +
                  " bytes");
    }
  }
  if (!ParseConnectReply(line)) {
    throw Error("vsock port " + std::to_string(port) + " via " + socket_path +
                ": unexpected reply to CONNECT: \"" + line + "\"");
  }
  return fd;
}

UniqueFd DialVsock(const std::string& socket_path, uint32_t port, Deadline deadline,
                   const std::function<void()>& check_alive,
                   std::chrono::milliseconds retry_interval,
                   std::chrono::milliseconds reply_timeout) {
  auto start = std::chrono::steady_clock::now();
  std::chrono::milliseconds pause = retry_interval;
  const std::chrono::milliseconds max_pause = std::max(retry_interval, kMaxDialRetryInterval);
  while (true) {
    if (check_alive) check_alive();
    const Deadline attempt_deadline =
        std::min(deadline, std::chrono::steady_clock::now() + reply_timeout);
    if (auto fd = TryDialVsock(socket_path, port, attempt_deadline)) return std::move(*fd);
    if (std::chrono::steady_clock::now() + pause >= deadline) {
      auto waited = std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::steady_clock::now() - start);
      throw Error("vsock port " + std::to_string(port) + " via " + socket_path +
                  ": no answer within " + std::to_string(waited.count()) + " s");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, max_pause);
  }
}

}  // namespace strato::runtime
