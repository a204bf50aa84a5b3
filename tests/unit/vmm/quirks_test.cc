#include "vmm/vcpu/quirks.h"

#include <catch2/catch.hpp>

#include "common/error.h"
#include "vmm/vcpu/cpuid.h"

using namespace strato::vmm;

TEST_CASE("quirks: auto enables them only on nested/software KVM, on/off force") {
  CHECK(ResolveQuirks(QuirkMode::kAuto, KvmFlavor::kNestedOrSoftware).inject_breakpoint);
  CHECK(ResolveQuirks(QuirkMode::kAuto, KvmFlavor::kNestedOrSoftware).guest_cmdline);
  CHECK_FALSE(ResolveQuirks(QuirkMode::kAuto, KvmFlavor::kHardwareAssisted).any());
  CHECK(ResolveQuirks(QuirkMode::kOn, KvmFlavor::kHardwareAssisted).any());
  CHECK_FALSE(ResolveQuirks(QuirkMode::kOff, KvmFlavor::kNestedOrSoftware).any());
  CHECK(ParseQuirkMode("auto") == QuirkMode::kAuto);
  CHECK(ParseQuirkMode("on") == QuirkMode::kOn);
  CHECK(ParseQuirkMode("off") == QuirkMode::kOff);
  CHECK_THROWS_AS(ParseQuirkMode("yes"), strato::UsageError);
  CHECK(QuirkCommandLine() == "noxsave clearcpuid=smap,popcnt,cx16,erms,fsrm no-kvmclock tsc=reliable");
}

TEST_CASE("each vCPU's CPUID carries its APIC id and the hypervisor bit") {
  std::vector<kvm_cpuid_entry2> supported(3);
  supported[0].function = 0x1;
  supported[0].ebx = 0xff000800;
  supported[1].function = 0xb;
  supported[1].edx = 77;
  supported[2].function = 0x7;
  supported[2].ebx = 0x1234;
  auto cpu2 = VcpuCpuid(supported, 2);
  CHECK(cpu2[0].ebx == 0x02000800);
  CHECK(cpu2[0].ecx == kCpuidHypervisorBit);
  CHECK(cpu2[1].edx == 2);
  CHECK(cpu2[2].ebx == 0x1234);
}

TEST_CASE("the fast KVM flavor check needs a known KVM module for 'hardware-assisted'") {
  // Without any of kvm_intel/kvm_amd/kvm_pvm in the module directory the host cannot be called
  // hardware-assisted, whatever the CPU flags say.
  CHECK(DetectKvmFlavor("/nonexistent-sys-module") == KvmFlavor::kNestedOrSoftware);
}
