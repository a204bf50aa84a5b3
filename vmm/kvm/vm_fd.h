#pragma once
// A KVM VM file descriptor: memory slots, the in-kernel irqchip and PIT, interrupt lines, irqfds
// and ioeventfds (for later devices), and vCPU creation.

#include <linux/kvm.h>

#include <cstdint>

#include "common/file_util.h"
#include "vmm/kvm/kvm_system.h"

namespace strato::vmm {

class VmFd {
 public:
  explicit VmFd(const KvmSystem& kvm);

  int fd() const { return fd_.get(); }
  void SetUserMemoryRegion(uint32_t slot, uint64_t guest_phys, uint64_t size, void* host);
  void SetTssAddress(uint64_t guest_phys);
  void SetIdentityMapAddress(uint64_t guest_phys);
  // In-kernel PIC + IOAPIC + LAPICs (KVM_CREATE_IRQCHIP).
  void CreateIrqchip();
  // In-kernel i8254 PIT (KVM_CREATE_PIT2); needs the irqchip first.
  void CreatePit();
  // Sets a GSI's level (KVM_IRQ_LINE): 1 asserts, 0 deasserts.
  void SetIrqLine(uint32_t gsi, bool level);
  void AddIrqfd(int event_fd, uint32_t gsi);
  void AddIoeventfd(int event_fd, uint64_t address, uint32_t length, bool pio, bool with_datamatch,
                    uint64_t datamatch);
  // Creates vCPU `index` (KVM_CREATE_VCPU); the fd is returned to the caller.
  UniqueFd CreateVcpu(uint32_t index);

 private:
  UniqueFd fd_;
};

}  // namespace strato::vmm
