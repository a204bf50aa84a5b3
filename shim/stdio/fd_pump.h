#pragma once
// Copies bytes from one fd to another on its own thread until the source reaches EOF, then
// closes the destination (so the reader downstream sees EOF too). Both ends are switched to
// non-blocking and polled together with a stop signal, so a stuck reader or writer never keeps
// the shim from shutting down. SIGPIPE is blocked on the copy thread: a vanished reader is an
// EPIPE error that ends the copy, never a signal that kills the shim.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/file_util.h"

namespace strato::shim {

class FdPump {
 public:
  // What reaching EOF on the source does to the destination. kShutdownWrite is for a socket
  // that must stay open (a guest stdin stream: a full close resets the vsock connection, and
  // bytes still in flight could be dropped): shutdown(SHUT_WR), the fd closed with the pump.
  enum class AtEof { kClose, kShutdownWrite };

  // `name` is for log lines ("<id> stdout").
  FdPump(std::string name, UniqueFd src, UniqueFd dst, AtEof at_eof = AtEof::kClose);
  ~FdPump();  // Stop()
  FdPump(const FdPump&) = delete;
  FdPump& operator=(const FdPump&) = delete;

  // Ends the copy now (whatever is unread is dropped) and joins the thread.
  void Stop();
  // Waits for the source to reach EOF and everything read to be written.
  bool WaitDone(std::chrono::milliseconds timeout);
  uint64_t bytes_copied() const;

 private:
  void Run();

  const std::string name_;
  const AtEof at_eof_;
  UniqueFd src_;
  UniqueFd dst_;
  UniqueFd stop_event_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  uint64_t bytes_ = 0;
  std::thread thread_;
};

}  // namespace strato::shim
