#pragma once
// The /dev/kvm handle: API version check, capability queries, vCPU mmap size, supported CPUID.

#include <linux/kvm.h>

#include <memory>
#include <string>
#include <vector>

#include "common/file_util.h"

namespace strato::vmm {

class KvmSystem {
 public:
  // Opens the device and checks KVM_GET_API_VERSION == 12; throws strato::Error otherwise.
  explicit KvmSystem(const std::string& device = "/dev/kvm");

  int fd() const { return fd_.get(); }
  int CheckExtension(int capability) const;
  // Size of each vCPU's shared kvm_run area (KVM_GET_VCPU_MMAP_SIZE).
  size_t VcpuMmapSize() const;
  // KVM_GET_SUPPORTED_CPUID: the entries the host can give a guest.
  std::vector<kvm_cpuid_entry2> SupportedCpuid() const;
  // Creates a VM fd (KVM_CREATE_VM, type 0).
  UniqueFd CreateVm() const;

 private:
  std::string device_;
  UniqueFd fd_;
};

}  // namespace strato::vmm
