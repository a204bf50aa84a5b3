#include "vmm/kvm/host_probe.h"

#include <catch2/catch.hpp>

using strato::vmm::ClassifyKvmHost;
using strato::vmm::CpuInfoHasVirtualizationFlag;
using strato::vmm::KvmFlavor;

TEST_CASE("CpuInfoHasVirtualizationFlag reads the flags line") {
  CHECK(CpuInfoHasVirtualizationFlag("processor\t: 0\nflags\t\t: fpu vme vmx sse\n"));
  CHECK(CpuInfoHasVirtualizationFlag("flags\t\t: fpu svm\n"));
  CHECK_FALSE(CpuInfoHasVirtualizationFlag("flags\t\t: fpu vmxnot hypervisor\n"));
  CHECK_FALSE(CpuInfoHasVirtualizationFlag("model name\t: vmx cpu\n"));
  CHECK_FALSE(CpuInfoHasVirtualizationFlag(""));
}

TEST_CASE("ClassifyKvmHost tells hardware-assisted from nested/software KVM") {
  CHECK(ClassifyKvmHost(false, true, "kvm_intel") == KvmFlavor::kUnavailable);
  CHECK(ClassifyKvmHost(true, true, "kvm_intel") == KvmFlavor::kHardwareAssisted);
  CHECK(ClassifyKvmHost(true, true, "kvm_amd") == KvmFlavor::kHardwareAssisted);
  CHECK(ClassifyKvmHost(true, false, "kvm_pvm") == KvmFlavor::kNestedOrSoftware);
  CHECK(ClassifyKvmHost(true, true, "kvm_pvm") == KvmFlavor::kNestedOrSoftware);
}
