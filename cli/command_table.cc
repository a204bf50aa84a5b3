#include <array>

#include "cli/command.h"

namespace strato::cli {

std::span<const Command> AllCommands() {
  static constexpr std::array kCommands = {
      Command{"run", "run a container from an OCI image in its own microVM", RunRun},
      Command{"doctor", "check this host: KVM, guest kernel, containerd", RunDoctor},
      Command{"inspect", "validate an OCI image or bundle and show what strato uses", RunInspect},
      Command{"convert", "convert an OCI layer (tar/tar.gz/tar.zst) or a directory to EROFS", RunConvert},
      Command{"vm", "boot a kernel or test guest in a microVM (debugging, tests)", RunVm},
  };
  return kCommands;
}

}  // namespace strato::cli
