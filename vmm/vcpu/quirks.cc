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
  // clearcpuid=erms,fsrm: not a failure but a 3x speed-up of initramfs unpacking here. With
  //   ERMS/FSRM the kernel's memset/memcpy/clear_page use `rep stosb`/`rep movsb`, emulated byte
  //   by byte; without them they move 8 bytes per step (docs/guest-kernel.md).
  // (KVM_SET_CPUID2 does not hide these features on such hosts, so the kernel must be told.)
  // no-kvmclock tsc=reliable: not an emulation failure but the dominant boot cost here. Every
  //   kvm-clock read (pvclock_clocksource_read, ~50 emulated instructions plus a global cmpxchg
  //   without the host's stable-TSC bit) runs in emulated kernel mode; with it a 1-vCPU boot took
  //   5.5 min to power off and a 2-vCPU boot did not reach /init in 10 min, without it 43 s and
  //   2.6 min (docs/benchmarks.md). tsc=reliable skips the clocksource watchdog, which would
  //   otherwise read a second clocksource on every check.
  return "noxsave clearcpuid=smap,popcnt,cx16,erms,fsrm no-kvmclock tsc=reliable";
}

}  // namespace strato::vmm
