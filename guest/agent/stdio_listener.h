#pragma once
// The stdio stream listener (guest port 1025): every connection is one stream of one process,
// bound by the handshake of guest/agent/stdio_handshake.h on its own thread (a slow or silent
// peer holds up nobody; it gets kHandshakeTimeout to send its line).

#include <chrono>
#include <memory>
#include <thread>

#include "common/file_util.h"

namespace strato::agent {

class ProcessTable;

inline constexpr std::chrono::seconds kHandshakeTimeout{10};

class StdioListener {
 public:
  StdioListener(UniqueFd listener, std::shared_ptr<ProcessTable> table);
  ~StdioListener();  // Stop()
  StdioListener(const StdioListener&) = delete;
  StdioListener& operator=(const StdioListener&) = delete;

  // Stops accepting (connections already bound keep streaming).
  void Stop();

 private:
  void AcceptLoop();

  UniqueFd listener_;
  std::shared_ptr<ProcessTable> table_;
  UniqueFd wake_read_;
  UniqueFd wake_write_;
  std::thread thread_;
};

// Reads one handshake line from `connection` and binds it, answering OK or "ERR <message>".
// Exposed for tests; the listener runs it per connection.
void HandleStreamConnection(UniqueFd connection, ProcessTable& table);

}  // namespace strato::agent
