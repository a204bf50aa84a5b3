#pragma once
// The guest kernel command line strato passes: its own defaults, the quirk options (only on hosts
// that need them) and the user's options last (so they win where the kernel takes the last one).

#include <string>

#include "vmm/vcpu/quirks.h"

namespace strato::vmm {

// console=ttyS0: the 8250 at 0x3f8 is the console. reboot=k: restart through the i8042 reset
// line, which the VMM sees as a clean "reboot". panic=-1: reset at once on panic (classified as
// "panic" from the console). i8042.*: skip the PS/2 probe (thousands of port exits).
inline constexpr const char* kDefaultCmdline =
    "console=ttyS0 reboot=k panic=-1 i8042.noaux i8042.nomux i8042.dumbkbd";

// Throws strato::Error if the result (plus its NUL) exceeds layout::kCmdlineMaxSize or the user
// part contains a NUL byte.
std::string BuildGuestCommandLine(const std::string& user, const Quirks& quirks);

}  // namespace strato::vmm
