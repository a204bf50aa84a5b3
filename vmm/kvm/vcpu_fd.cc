#include "vmm/kvm/vcpu_fd.h"

#include <sys/mman.h>

#include <cstdlib>
#include <memory>

#include "vmm/kvm/kvm_ioctl.h"
#include "vmm/kvm/kvm_variable_structs.h"

namespace strato::vmm {

VcpuFd::VcpuFd(const KvmSystem& kvm, VmFd& vm, uint32_t index)
    : index_(index), fd_(vm.CreateVcpu(index)) {
  run_size_ = kvm.VcpuMmapSize();
  if (run_size_ < sizeof(kvm_run)) {
    throw Error("KVM_GET_VCPU_MMAP_SIZE returned " + std::to_string(run_size_) +
                ", smaller than struct kvm_run");
  }
  void* p = ::mmap(nullptr, run_size_, PROT_READ | PROT_WRITE, MAP_SHARED, fd_.get(), 0);
  if (p == MAP_FAILED) ThrowErrno("mmap kvm_run of " + Object());
  run_ = static_cast<kvm_run*>(p);
}

VcpuFd::~VcpuFd() {
  if (run_ != nullptr) ::munmap(run_, run_size_);
}

std::string VcpuFd::Object() const {
  return "vCPU " + std::to_string(index_);
}

bool VcpuFd::Run() {
  if (::ioctl(fd_.get(), KVM_RUN, 0) == 0) return true;
  if (errno == EINTR || errno == EAGAIN) return false;
  ThrowErrno("KVM_RUN on " + Object());
}

kvm_regs VcpuFd::GetRegs() const {
  kvm_regs regs{};
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_REGS), &regs, Object());
  return regs;
}

void VcpuFd::SetRegs(const kvm_regs& regs) {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_REGS), &regs, Object());
}

kvm_sregs VcpuFd::GetSregs() const {
  kvm_sregs sregs{};
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_SREGS), &sregs, Object());
  return sregs;
}

void VcpuFd::SetSregs(const kvm_sregs& sregs) {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_SREGS), &sregs, Object());
}

void VcpuFd::SetFpu(const kvm_fpu& fpu) {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_FPU), &fpu, Object());
}

void VcpuFd::SetCpuid(const std::vector<kvm_cpuid_entry2>& entries) {
  KvmEntryList<kvm_cpuid_entry2> list(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) list.entries()[i] = entries[i];
  KvmIoctl(fd_.get(), kKvmSetCpuid2, "KVM_SET_CPUID2", list.get(), Object());
}

void VcpuFd::SetMsrs(std::span<const std::pair<uint32_t, uint64_t>> msrs) {
  KvmEntryList<kvm_msr_entry> list(msrs.size());
  for (size_t i = 0; i < msrs.size(); ++i) {
    list.entries()[i].index = msrs[i].first;
    list.entries()[i].data = msrs[i].second;
  }
  int set = KvmIoctl(fd_.get(), kKvmSetMsrs, "KVM_SET_MSRS", list.get(), Object());
  // KVM_SET_MSRS returns how many entries it accepted and stops at the first refused one.
  if (set != static_cast<int>(msrs.size())) {
    char index[16];
    std::snprintf(index, sizeof index, "%#x", msrs[static_cast<size_t>(set)].first);
    throw Error("KVM_SET_MSRS on " + Object() + ": MSR " + index + " refused");
  }
}

kvm_mp_state VcpuFd::GetMpState() const {
  kvm_mp_state state{};
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_MP_STATE), &state, Object());
  return state;
}

kvm_vcpu_events VcpuFd::GetEvents() const {
  kvm_vcpu_events events{};
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_GET_VCPU_EVENTS), &events, Object());
  return events;
}

void VcpuFd::SetEvents(const kvm_vcpu_events& events) {
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_SET_VCPU_EVENTS), &events, Object());
}

bool VcpuFd::Translate(uint64_t linear, uint64_t* physical) const {
  kvm_translation t{};
  t.linear_address = linear;
  KvmIoctl(fd_.get(), STRATO_KVM(KVM_TRANSLATE), &t, Object());
  if (!t.valid) return false;
  *physical = t.physical_address;
  return true;
}

}  // namespace strato::vmm
