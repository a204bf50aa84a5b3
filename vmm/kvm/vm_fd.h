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
  // Split irqchip (KVM_CAP_SPLIT_IRQCHIP): LAPICs in KVM, the IOAPIC in userspace; GSIs
  // 0..ioapic_pins-1 are reserved for its routes (KVM scans them for level-triggered vectors and
  // exits with KVM_EXIT_IOAPIC_EOI). Instead of CreateIrqchip, before any vCPU.
  void EnableSplitIrqchip(uint32_t ioapic_pins);
  // KVM_SET_GSI_ROUTING with a buffer built by KvmEntryList<kvm_irq_routing_entry>.
  void SetGsiRouting(void* routing_table);
  // One MSI (KVM_SIGNAL_MSI).
  void SignalMsi(uint32_t address, uint32_t data);
  // The guest TSC frequency in kHz (KVM_GET_TSC_KHZ on the VM, Linux >= 5.17), or 0 if the host
  // kernel cannot tell.
  uint32_t TscKhz() const;
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
