#include "guest/agent/stdio_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.h"
#include "guest/agent/process_table.h"
#include "guest/agent/stdio_handshake.h"
#include "guest/init/console_log.h"
#include "ttrpc/unix_socket.h"

namespace strato::agent {

namespace {

void SetReceiveTimeout(int fd, std::chrono::seconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count());
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

// The request line without its newline, byte by byte so nothing after it is consumed (the
// host never sends stream data before OK, but the line must not swallow it if it did).
std::optional<std::string> ReadHandshakeLine(int fd, std::string* error) {
  std::string line;
  for (;;) {
    char c;
    ssize_t n = ::recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n == 0 ? "connection closed before the stream request line"
                      : "no stream request line within " +
                            std::to_string(kHandshakeTimeout.count()) + " s";
      return std::nullopt;
    }
    if (c == '\n') return line;
    if (line.size() >= kMaxHandshakeLine) {
      *error = "stream request line longer than " + std::to_string(kMaxHandshakeLine) + " bytes";
      return std::nullopt;
    }
    line += c;
  }
}

void Refuse(int fd, const std::string& message) {
  std::string reply = std::string(kHandshakeErrPrefix) + message + "\n";
  ttrpc::SendAll(fd, reply);
}

}  // namespace

void HandleStreamConnection(UniqueFd connection, ProcessTable& table) {
  std::string error;
  SetReceiveTimeout(connection.get(), kHandshakeTimeout);
  std::optional<std::string> line = ReadHandshakeLine(connection.get(), &error);
  if (!line) {
    Refuse(connection.get(), error);
    return;
  }
  std::optional<StreamRequest> request = ParseStreamRequest(*line, &error);
  if (!request) {
    Refuse(connection.get(), error);
    return;
  }
  SetReceiveTimeout(connection.get(), std::chrono::seconds(0));  // streams may idle forever
  try {
    table.BindStream(*request, connection);
  } catch (const std::exception& e) {
    if (connection.valid()) Refuse(connection.get(), e.what());
  }
}

StdioListener::StdioListener(UniqueFd listener, std::shared_ptr<ProcessTable> table)
    : listener_(std::move(listener)), table_(std::move(table)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("pipe for the stdio listener");
  wake_read_.reset(fds[0]);
  wake_write_.reset(fds[1]);
  thread_ = std::thread([this] { AcceptLoop(); });
}

StdioListener::~StdioListener() {
  Stop();
}

void StdioListener::Stop() {
  if (!thread_.joinable()) return;
  char byte = 0;
  [[maybe_unused]] ssize_t ignored = ::write(wake_write_.get(), &byte, 1);
  thread_.join();
}

void StdioListener::AcceptLoop() {
  pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_read_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      guest::LogError("poll on the stdio listener failed: " + std::to_string(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) {
      guest::LogError("the stdio listener socket failed");
      return;
    }
    int c = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;  // EINTR, ECONNABORTED...: keep serving
    std::thread([table = table_, conn = UniqueFd(c)]() mutable {
      HandleStreamConnection(std::move(conn), *table);
    }).detach();
  }
}

}  // namespace strato::agent
