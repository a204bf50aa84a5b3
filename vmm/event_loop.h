#pragma once
// The VMM's main-thread event loop (epoll): console input, the stop signal, timers, and later the
// device backends (ioeventfds, vsock sockets, block I/O completions). Handlers run on the loop
// thread; Stop() may be called from any thread.

#include <sys/epoll.h>

#include <functional>
#include <map>

#include "common/file_util.h"

namespace strato::vmm {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;
  EventLoop();

  // Watches `fd` (not owned) for `events` (EPOLLIN, ...). Returns false if the fd cannot be
  // watched (e.g. a regular file), so callers can fall back.
  bool Add(int fd, uint32_t events, Handler handler);
  void Remove(int fd);
  // Runs until Stop().
  void Run();
  void Stop();

 private:
  UniqueFd epoll_;
  UniqueFd stop_event_;
  std::map<int, Handler> handlers_;
  bool running_ = false;
};

}  // namespace strato::vmm
