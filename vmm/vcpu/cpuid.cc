#include "vmm/vcpu/cpuid.h"

namespace strato::vmm {

namespace {
constexpr uint32_t kApicIdShift = 24;  // leaf 1 EBX[31:24]: initial APIC id
constexpr uint32_t kApicIdMask = 0x00ffffff;
}  // namespace

std::vector<kvm_cpuid_entry2> VcpuCpuid(std::vector<kvm_cpuid_entry2> entries, uint32_t index) {
  for (auto& e : entries) {
    if (e.function == kCpuidLeafFeatures) {
      e.ebx = (e.ebx & kApicIdMask) | (index << kApicIdShift);
      e.ecx |= kCpuidHypervisorBit;
    } else if (e.function == kCpuidLeafExtendedTopology ||
               e.function == kCpuidLeafExtendedTopologyV2) {
      e.edx = index;  // x2APIC id, every sub-leaf
    }
  }
  return entries;
}

}  // namespace strato::vmm
