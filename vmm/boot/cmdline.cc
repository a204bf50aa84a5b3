#include "vmm/boot/cmdline.h"

#include "common/error.h"
#include "vmm/layout.h"

namespace strato::vmm {

std::string BuildGuestCommandLine(const std::string& user, const Quirks& quirks) {
  if (user.find('\0') != std::string::npos) throw Error("kernel command line contains a NUL byte");
  std::string cmdline = kDefaultCmdline;
  if (quirks.guest_cmdline) cmdline += " " + QuirkCommandLine();
  if (!user.empty()) cmdline += " " + user;
  if (cmdline.size() + 1 > layout::kCmdlineMaxSize) {
    throw Error("kernel command line is " + std::to_string(cmdline.size()) + " bytes, more than " +
                std::to_string(layout::kCmdlineMaxSize - 1));
  }
  return cmdline;
}

}  // namespace strato::vmm
