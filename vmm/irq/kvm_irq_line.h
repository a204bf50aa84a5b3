#pragma once
// An IrqLine on the in-kernel irqchip: KVM_IRQ_LINE on a GSI (IOAPIC pin n = GSI n, and the PIC
// for GSIs 0-15).

#include "vmm/irq/irq_line.h"
#include "vmm/kvm/vm_fd.h"

namespace strato::vmm {

class KvmIrqLine : public IrqLine {
 public:
  KvmIrqLine(VmFd& vm, uint32_t gsi) : vm_(vm), gsi_(gsi) {}
  void Pulse() override {
    vm_.SetIrqLine(gsi_, true);
    vm_.SetIrqLine(gsi_, false);
  }
  void SetLevel(bool asserted) override { vm_.SetIrqLine(gsi_, asserted); }
  uint32_t gsi() const override { return gsi_; }

 private:
  VmFd& vm_;
  uint32_t gsi_;
};

}  // namespace strato::vmm
