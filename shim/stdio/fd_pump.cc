#include "shim/stdio/fd_pump.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace strato::shim {

namespace {
constexpr size_t kCopyBuffer = size_t{32} * 1024;

void SetNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) ThrowErrno("fcntl O_NONBLOCK");
}
}  // namespace

FdPump::FdPump(std::string name, UniqueFd src, UniqueFd dst, AtEof at_eof)
    : name_(std::move(name)), at_eof_(at_eof), src_(std::move(src)), dst_(std::move(dst)) {
  stop_event_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event_.valid()) ThrowErrno("eventfd for " + name_);
  SetNonBlocking(src_.get());
  SetNonBlocking(dst_.get());
  thread_ = std::thread([this] { Run(); });
}

FdPump::~FdPump() {
  Stop();
}

void FdPump::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(stop_event_.get(), &one, sizeof one);
  thread_.join();
}

bool FdPump::WaitDone(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return done_; });
}

uint64_t FdPump::bytes_copied() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

void FdPump::Run() {
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

  std::string buf(kCopyBuffer, '\0');
  size_t have = 0;  // unwritten bytes at the front of buf
  size_t off = 0;
  bool eof = false;
  for (;;) {
    if (eof && have == 0) break;
    pollfd fds[2] = {{stop_event_.get(), POLLIN, 0},
                     have == 0 ? pollfd{src_.get(), POLLIN, 0} : pollfd{dst_.get(), POLLOUT, 0}};
    int rc = ::poll(fds, 2, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      spdlog::warn("{}: poll: {}", name_, std::strerror(errno));
      break;
    }
    if (fds[0].revents != 0) break;  // Stop()
    if (fds[1].revents == 0) continue;
    if (have == 0) {
      ssize_t n = ::read(src_.get(), buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        spdlog::warn("{}: read: {}", name_, std::strerror(errno));
        break;
      }
      if (n == 0) {
        eof = true;
        continue;
      }
      have = static_cast<size_t>(n);
      off = 0;
    } else {
      ssize_t n = ::write(dst_.get(), buf.data() + off, have);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        spdlog::debug("{}: write: {} (reader gone)", name_, std::strerror(errno));
        break;
      }
      off += static_cast<size_t>(n);
      have -= static_cast<size_t>(n);
      std::lock_guard lock(mu_);
      bytes_ += static_cast<uint64_t>(n);
    }
  }
  // Close both ends: downstream sees EOF, upstream writers get EPIPE instead of blocking.
  if (eof && at_eof_ == AtEof::kShutdownWrite) {
    ::shutdown(dst_.get(), SHUT_WR);  // the destructor closes it
  } else {
    dst_.reset();
  }
  src_.reset();
  std::lock_guard lock(mu_);
  done_ = true;
  cv_.notify_all();
}

}  // namespace strato::shim
