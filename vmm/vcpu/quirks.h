#pragma once
// Workarounds for nested / software KVM hosts (the CI machines run kvm_pvm, where guest kernel
// code is emulated and some instructions cannot be: see docs/vmm.md and
// shared/reference/kvm-on-these-machines.md). Enabled only when the startup probe finds such a
// host (--quirks auto) or when forced (--quirks on); a hardware-assisted host gets none.

#include <string>

#include "vmm/kvm/host_probe.h"

namespace strato::vmm {

enum class QuirkMode { kAuto, kOn, kOff };

struct Quirks {
  // The host cannot emulate `int3` (KVM_EXIT_INTERNAL_ERROR, emulation): the VMM steps over it
  // and injects #BP itself, so the kernel's alternatives self-test and other int3 users work.
  bool inject_breakpoint = false;
  // Guest kernel command-line options that keep the kernel off instructions the host cannot
  // emulate (see QuirkCommandLine()).
  bool guest_cmdline = false;
  bool any() const { return inject_breakpoint || guest_cmdline; }
};

// "auto", "on" or "off"; throws strato::UsageError otherwise.
QuirkMode ParseQuirkMode(const std::string& text);
// kAuto: on for KvmFlavor::kNestedOrSoftware, off for hardware-assisted hosts.
Quirks ResolveQuirks(QuirkMode mode, KvmFlavor flavor);
// The options appended to the guest command line when Quirks::guest_cmdline is set.
std::string QuirkCommandLine();

}  // namespace strato::vmm
