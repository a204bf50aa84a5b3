#pragma once
// A KVM vCPU file descriptor and its shared kvm_run page: KVM_RUN, register access, CPUID, MSRs,
// event injection and address translation. Every failed ioctl throws a strato::Error naming it.

#include <linux/kvm.h>

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "vmm/kvm/kvm_system.h"
#include "vmm/kvm/vm_fd.h"

namespace strato::vmm {

class VcpuFd {
 public:
  VcpuFd(const KvmSystem& kvm, VmFd& vm, uint32_t index);
  ~VcpuFd();
  VcpuFd(const VcpuFd&) = delete;
  VcpuFd& operator=(const VcpuFd&) = delete;

  uint32_t index() const { return index_; }
  // The shared run structure; its exit fields are valid after Run() returned true.
  kvm_run* run() const { return run_; }
  size_t run_size() const { return run_size_; }
  // KVM_RUN. Returns false if interrupted by a signal (EINTR) or immediate_exit; throws on any
  // other failure.
  bool Run();

  kvm_regs GetRegs() const;
  void SetRegs(const kvm_regs& regs);
  kvm_sregs GetSregs() const;
  void SetSregs(const kvm_sregs& sregs);
  void SetFpu(const kvm_fpu& fpu);
  void SetCpuid(const std::vector<kvm_cpuid_entry2>& entries);
  void SetMsrs(std::span<const std::pair<uint32_t, uint64_t>> msrs);
  kvm_mp_state GetMpState() const;
  kvm_vcpu_events GetEvents() const;
  void SetEvents(const kvm_vcpu_events& events);
  // KVM_TRANSLATE: guest-virtual to guest-physical through the vCPU's current page tables.
  // Returns false if the address is not mapped.
  bool Translate(uint64_t linear, uint64_t* physical) const;

 private:
  std::string Object() const;
  uint32_t index_;
  UniqueFd fd_;
  kvm_run* run_ = nullptr;
  size_t run_size_ = 0;
};

}  // namespace strato::vmm
