#pragma once
// The CPUID table each vCPU gets: what the host supports, with this vCPU's APIC id in the leaves
// that carry it (so CPUID agrees with the MP table) and the hypervisor bit set.

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace strato::vmm {

inline constexpr uint32_t kCpuidLeafFeatures = 0x1;
inline constexpr uint32_t kCpuidLeafExtendedTopology = 0xb;
inline constexpr uint32_t kCpuidLeafExtendedTopologyV2 = 0x1f;
inline constexpr uint32_t kCpuidHypervisorBit = 1u << 31;  // leaf 1 ECX

std::vector<kvm_cpuid_entry2> VcpuCpuid(std::vector<kvm_cpuid_entry2> supported, uint32_t index);

}  // namespace strato::vmm
