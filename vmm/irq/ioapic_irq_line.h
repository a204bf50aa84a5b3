#pragma once
// An IrqLine on a pin of the userspace IOAPIC (split irqchip): used by VMM-side interrupt sources
// such as the 8250 UART, which raise their pin from VMM threads rather than through an irqfd.

#include <memory>

#include "vmm/irq/irq_line.h"
#include "vmm/irq/userspace_ioapic.h"

namespace strato::vmm {

class IoapicIrqLine : public IrqLine {
 public:
  IoapicIrqLine(std::shared_ptr<UserspaceIoapic> ioapic, uint32_t pin)
      : ioapic_(std::move(ioapic)), pin_(pin) {}
  void Pulse() override { ioapic_->Pulse(pin_); }
  void SetLevel(bool asserted) override { ioapic_->SetLevel(pin_, asserted); }
  uint32_t gsi() const override { return pin_; }

 private:
  std::shared_ptr<UserspaceIoapic> ioapic_;
  uint32_t pin_;
};

}  // namespace strato::vmm
