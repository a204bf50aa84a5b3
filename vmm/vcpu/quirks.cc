#include "vmm/vcpu/quirks.h"

#include "common/error.h"

namespace strato::vmm {

QuirkMode ParseQuirkMode(const std::string& text) {
  if (text == "auto") return QuirkMode::kAuto;
  if (text == "on") return QuirkMode::kOn;
  if (text == "off") return QuirkMode::kOff;
  throw UsageError("--quirks: expected auto, on or off, got \"" + text + "\"");
}

Quirks ResolveQuirks(QuirkMode mode, KvmFlavor flavor) {
  bool on = mode == QuirkMode::kOn ||
            (mode == QuirkMode::kAuto && flavor == KvmFlavor::kNestedOrSoftware);
  return Quirks{on, on};
}

std::string QuirkCommandLine() {
  // noxsave:         FPU init uses `xrstor64`, which the host cannot emulate.
  // clearcpuid=smap: every interrupt entry runs `clac`/`stac`, which the host cannot emulate.
  // clearcpuid=popcnt: the bitmap-weight helpers use `popcnt`, which the host cannot emulate.
  // clearcpuid=cx16: SLUB's lockless fast path uses `lock cmpxchg16b`, which the host cannot
  //                  emulate (found booting the project's kernel; SLUB falls back to its lock).
  // (KVM_SET_CPUID2 does not hide these features on such hosts, so the kernel must be told.)
  return "noxsave clearcpuid=smap,popcnt,cx16";
}

}  // namespace strato::vmm
