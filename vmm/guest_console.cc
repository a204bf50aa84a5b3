#include "vmm/guest_console.h"

#include <unistd.h>

#include <cerrno>

namespace strato::vmm {

GuestConsole::GuestConsole(int fd, StopController& stop, std::function<void()> on_power_down)
    : fd_(fd), stop_(stop), on_power_down_(std::move(on_power_down)) {}

void GuestConsole::Put(uint8_t byte) {
  if (fd_ >= 0) {
    // One byte per guest OUT: the exit costs far more than the write. A full pipe or a closed
    // reader must not stop the guest, so errors other than EINTR drop the byte.
    while (::write(fd_, &byte, 1) < 0 && errno == EINTR) {
    }
  }
  if (byte == '\n') {
    Match();
    line_.clear();
  } else if (line_.size() < kMaxMatchedLine) {
    line_.push_back(static_cast<char>(byte));
  }
}

void GuestConsole::Match() {
  if (line_.find(kPowerDownMarker) != std::string::npos ||
      line_.find(kHaltedMarker) != std::string::npos) {
    stop_.NotePowerDown();
    if (on_power_down_) on_power_down_();
  } else if (line_.find(kPanicMarker) != std::string::npos) {
    stop_.NotePanic();
  } else if (line_.find(kRestartMarker) != std::string::npos) {
    stop_.NoteRestart();
  }
}

}  // namespace strato::vmm
