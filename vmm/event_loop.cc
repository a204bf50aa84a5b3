#include "vmm/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.h"

namespace strato::vmm {

namespace {
constexpr int kMaxEventsPerWait = 16;
}

EventLoop::EventLoop() {
  epoll_ = UniqueFd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) ThrowErrno("epoll_create1");
  stop_event_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_event_.valid()) ThrowErrno("eventfd");
  if (!Add(stop_event_.get(), EPOLLIN, [this](uint32_t) { running_ = false; })) {
    ThrowErrno("epoll_ctl add stop eventfd");
  }
}

bool EventLoop::Add(int fd, uint32_t events, Handler handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) return false;
  handlers_[fd] = std::move(handler);
  return true;
}

void EventLoop::Remove(int fd) {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  handlers_.erase(fd);
}

void EventLoop::Stop() {
  uint64_t one = 1;
  // An eventfd write only fails if the counter would overflow, which cannot happen here.
  (void)!::write(stop_event_.get(), &one, sizeof one);
}

void EventLoop::Run() {
  running_ = true;
  epoll_event events[kMaxEventsPerWait];
  while (running_) {
    int n = ::epoll_wait(epoll_.get(), events, kMaxEventsPerWait, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno("epoll_wait");
    }
    for (int i = 0; i < n && running_; ++i) {
      auto it = handlers_.find(events[i].data.fd);
      if (it == handlers_.end()) continue;
      Handler h = it->second;  // the handler may Remove() itself
      h(events[i].events);
    }
  }
}

}  // namespace strato::vmm
