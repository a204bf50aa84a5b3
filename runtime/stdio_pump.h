#pragma once
// Byte pumps between host file descriptors and a container's stdio streams (vsock connections):
// host stdin -> the stdin stream, ending with a half-close (the guest sees EOF); a stdout/stderr
// stream -> host stdout/stderr until the guest closes it. Each runs on its own thread; a
// cancellation eventfd stops a pump that waits for input (host stdin after the container exited).

#include <cstdint>

#include "common/file_util.h"

namespace strato::runtime {

// An eventfd that, once signalled, makes every pump waiting on it return.
class PumpCanceller {
 public:
  PumpCanceller();
  void Cancel();
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

struct PumpResult {
  uint64_t bytes = 0;
  bool reached_eof = false;  // the source ended (not cancelled, no error)
  int error = 0;             // errno of a failed read or write, 0 if none
};

// Copies `from` to `to` until end of file on `from`, a read/write error, or cancellation.
// `to` may be a socket (written with MSG_NOSIGNAL semantics: SIGPIPE must be blocked or ignored
// by the caller for other fds). When `half_close_to` is set and `from` reached EOF, `to` gets
// shutdown(SHUT_WR).
PumpResult Pump(int from, int to, const PumpCanceller* canceller, bool half_close_to);

}  // namespace strato::runtime
