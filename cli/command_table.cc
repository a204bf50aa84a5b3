#include <array>

#include "cli/command.h"

namespace strato::cli {

std::span<const Command> AllCommands() {
  static constexpr std::array kCommands = {
      Command{"doctor", "check this host: KVM, guest kernel, containerd", RunDoctor},
      Command{"vm", "boot a kernel or test guest in a microVM (debugging, tests)", RunVm},
  };
  return kCommands;
}

}  // namespace strato::cli
