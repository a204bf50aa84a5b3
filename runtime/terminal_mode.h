#pragma once
// The host terminal in raw mode for `strato run --tty` (every key, Ctrl-C included, goes to the
// container's pty), restored by the destructor on every exit path.

#include <termios.h>

#include <cstdint>
#include <optional>

namespace strato::runtime {

class RawTerminal {
 public:
  // Puts `fd` in raw mode (cfmakeraw); does nothing when `fd` is not a terminal.
  explicit RawTerminal(int fd);
  ~RawTerminal();
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;

  bool active() const { return saved_.has_value(); }

 private:
  int fd_;
  std::optional<termios> saved_;
};

struct TerminalSize {
  uint32_t columns = 0;
  uint32_t rows = 0;
};

// The window size of terminal `fd` (TIOCGWINSZ), or nullopt when it is not a terminal.
std::optional<TerminalSize> GetTerminalSize(int fd);

}  // namespace strato::runtime
