#include "vmm/kvm/kvm_system.h"

#include <fcntl.h>

#include <cstdlib>

#include "vmm/kvm/host_probe.h"
#include "vmm/kvm/kvm_ioctl.h"
#include "vmm/kvm/kvm_variable_structs.h"

namespace strato::vmm {

namespace {
// KVM_GET_SUPPORTED_CPUID fails with E2BIG if the buffer is too small; this is plenty (Linux
// 6.1 reports ~60 entries).
constexpr size_t kMaxCpuidEntries = 256;
}  // namespace

KvmSystem::KvmSystem(const std::string& device) : device_(device) {
  fd_ = OpenOrThrow(device, O_RDWR | O_CLOEXEC);
  int version = KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_API_VERSION), 0, device_);
  if (version != kKvmApiVersion) {
    throw Error(device_ + ": KVM API version " + std::to_string(version) + ", strato needs " +
                std::to_string(kKvmApiVersion));
  }
}

int KvmSystem::CheckExtension(int capability) const {
  return KvmIoctl(fd_.get(), STRATO_KVM(KVM_CHECK_EXTENSION), capability, device_);
}

size_t KvmSystem::VcpuMmapSize() const {
  return static_cast<size_t>(KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_VCPU_MMAP_SIZE), 0, device_));
}

std::vector<kvm_cpuid_entry2> KvmSystem::SupportedCpuid() const {
  KvmEntryList<kvm_cpuid_entry2> list(kMaxCpuidEntries);
  KvmIoctl(fd_.get(), kKvmGetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID", list.get(), device_);
  uint32_t n = std::min<uint32_t>(list.count(), kMaxCpuidEntries);
  return std::vector<kvm_cpuid_entry2>(list.entries(), list.entries() + n);
}

UniqueFd KvmSystem::CreateVm() const {
  return UniqueFd(KvmIoctl(fd_.get(), STRATO_KVM(KVM_CREATE_VM), 0, device_));
}

}  // namespace strato::vmm
