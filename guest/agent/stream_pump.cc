#include "guest/agent/stream_pump.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace strato::agent {

namespace {

// One pipe's worth (Linux's default pipe capacity): big enough to move 1 MiB in few system
// calls, small enough that a stalled host holds little in the agent.
constexpr size_t kChunk = size_t{64} * 1024;

// Reads some bytes; 0 at end of file. A pty master reports the last slave closing as EIO.
ssize_t ReadSome(int fd, char* buf, size_t len) {
  for (;;) {
    ssize_t n = ::read(fd, buf, len);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return 0;  // EIO (pty hangup) or any other error: no more bytes will come
  }
}

// Writes everything to a socket or a pipe; false when the other side is gone. MSG_NOSIGNAL does
// not exist for pipes: the agent blocks SIGPIPE, so a closed pipe is EPIPE here.
bool WriteEverything(int fd, const char* data, size_t len, bool is_socket) {
  while (len > 0) {
    ssize_t n = is_socket ? ::send(fd, data, len, MSG_NOSIGNAL) : ::write(fd, data, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

void PumpOutput(UniqueFd source, UniqueFd sink) {
  std::string buf(kChunk, '\0');
  bool sink_ok = sink.valid();
  for (;;) {
    ssize_t n = ReadSome(source.get(), buf.data(), buf.size());
    if (n == 0) break;
    if (sink_ok) sink_ok = WriteEverything(sink.get(), buf.data(), static_cast<size_t>(n), true);
  }
  // Every byte is in the socket: now the host may see EOF.
  if (sink.valid()) ::shutdown(sink.get(), SHUT_WR);
}

void PumpInput(int source, int sink, int stop) {
  std::string buf(kChunk, '\0');
  for (;;) {
    pollfd fds[2] = {{source, POLLIN, 0}, {stop, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    const bool stopping = fds[1].revents != 0;
    // After a stop only what is already queued: MSG_DONTWAIT ends at the first empty read.
    ssize_t n = ::recv(source, buf.data(), buf.size(), stopping ? MSG_DONTWAIT : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    if (!WriteEverything(sink, buf.data(), static_cast<size_t>(n), false)) return;
  }
}

}  // namespace strato::agent
