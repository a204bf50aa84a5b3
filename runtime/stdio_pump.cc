#include "runtime/stdio_pump.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace strato::runtime {
namespace {

constexpr size_t kPumpBufferBytes = 64 * 1024;

// Writes everything; false with errno set on failure.
bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

PumpCanceller::PumpCanceller() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!fd_.valid()) ThrowErrno("eventfd");
}

void PumpCanceller::Cancel() {
  uint64_t one = 1;
  (void)!::write(fd_.get(), &one, sizeof one);
}

PumpResult Pump(int from, int to, const PumpCanceller* canceller, bool half_close_to) {
  PumpResult result;
  std::string buffer(kPumpBufferBytes, '\0');
  while (true) {
    pollfd fds[2] = {{from, POLLIN, 0}, {canceller ? canceller->fd() : -1, POLLIN, 0}};
    int ready = ::poll(fds, canceller ? 2 : 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      result.error = errno;
      return result;
    }
    if (canceller && (fds[1].revents & POLLIN)) return result;
    if (fds[0].revents & POLLNVAL) {  // `from` is not open (e.g. stdin closed): nothing to send
      result.reached_eof = true;
      break;
    }
    ssize_t n = ::read(from, buffer.data(), buffer.size());
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      result.error = errno;
      return result;
    }
    if (n == 0) {
      result.reached_eof = true;
      break;
    }
    if (!WriteAll(to, buffer.data(), static_cast<size_t>(n))) {
      result.error = errno;
      return result;
    }
    result.bytes += static_cast<uint64_t>(n);
  }
  if (half_close_to) ::shutdown(to, SHUT_WR);
  return result;
}

}  // namespace strato::runtime
