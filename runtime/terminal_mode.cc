#include "runtime/terminal_mode.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "common/error.h"

namespace strato::runtime {

RawTerminal::RawTerminal(int fd) : fd_(fd) {
  termios original{};
  if (!::isatty(fd) || ::tcgetattr(fd, &original) != 0) return;
  termios raw = original;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) ThrowErrno("tcsetattr (raw mode)");
  saved_ = original;
}

RawTerminal::~RawTerminal() {
  if (saved_) ::tcsetattr(fd_, TCSANOW, &*saved_);
}

std::optional<TerminalSize> GetTerminalSize(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) != 0) return std::nullopt;
  return TerminalSize{size.ws_col, size.ws_row};
}

}  // namespace strato::runtime
