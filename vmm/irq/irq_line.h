#pragma once
// An interrupt line a device raises, independent of who delivers it: the in-kernel irqchip
// (KVM_IRQ_LINE on a GSI, below), an irqfd, or a later userspace IOAPIC with a split irqchip.
// Devices only see this interface.

#include <cstdint>

namespace strato::vmm {

class IrqLine {
 public:
  virtual ~IrqLine() = default;
  // One edge (ISA-style edge-triggered interrupt).
  virtual void Pulse() = 0;
  // Holds the line at a level (level-triggered interrupts).
  virtual void SetLevel(bool asserted) = 0;
  virtual uint32_t gsi() const = 0;
};

}  // namespace strato::vmm
