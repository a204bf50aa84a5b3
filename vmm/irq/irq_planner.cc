#include "vmm/irq/irq_planner.h"

#include <algorithm>

#include "common/error.h"

namespace strato::vmm {

IrqchipMode ParseIrqchipMode(const std::string& text) {
  if (text == "auto") return IrqchipMode::kAuto;
  if (text == "kernel") return IrqchipMode::kKernel;
  if (text == "split") return IrqchipMode::kSplit;
  throw UsageError("--irqchip must be auto, kernel or split, not \"" + text + "\"");
}

const char* IrqchipModeName(IrqchipMode mode) {
  switch (mode) {
    case IrqchipMode::kAuto:
      return "auto";
    case IrqchipMode::kKernel:
      return "kernel";
    case IrqchipMode::kSplit:
      return "split";
  }
  return "?";
}

IrqPlan PlanIrqs(uint32_t devices, IrqchipMode requested) {
  const std::string count = std::to_string(devices) + " devices";
  if (devices > kSplitDeviceBudget) {
    throw Error(count + " need an interrupt pin each, but even the split irqchip's userspace " +
                "IOAPIC has only " + std::to_string(kSplitDeviceBudget) + " device pins");
  }
  IrqPlan plan;
  const bool fits = devices <= kInKernelDeviceBudget;
  switch (requested) {
    case IrqchipMode::kKernel:
      if (!fits) {
        throw Error(count + " > in-kernel budget " + std::to_string(kInKernelDeviceBudget) +
                    ": --irqchip kernel cannot serve them (use --irqchip split or auto)");
      }
      plan.mode = IrqchipMode::kKernel;
      plan.reason = "in-kernel irqchip (forced)";
      break;
    case IrqchipMode::kSplit:
      plan.mode = IrqchipMode::kSplit;
      plan.reason = "split irqchip (forced)";
      break;
    case IrqchipMode::kAuto:
      if (fits) {
        plan.mode = IrqchipMode::kKernel;
        plan.reason = count + " <= in-kernel budget " + std::to_string(kInKernelDeviceBudget) +
                      ": in-kernel irqchip";
      } else {
        plan.mode = IrqchipMode::kSplit;
        plan.reason = count + " > in-kernel budget " + std::to_string(kInKernelDeviceBudget) +
                      ": enabling split irqchip";
      }
      break;
  }
  for (uint32_t i = 0; i < devices; ++i) plan.device_pins.push_back(kFirstDevicePin + i);
  // The userspace IOAPIC has exactly the pins in use (never fewer than the 24 a guest expects of
  // a PC), so the MP table lists every pin and KVM reserves no unused routes.
  plan.ioapic_pins = kInKernelIoapicPins;
  if (plan.mode == IrqchipMode::kSplit && devices > 0) {
    plan.ioapic_pins = std::max(kInKernelIoapicPins, plan.device_pins.back() + 1);
  }
  return plan;
}

}  // namespace strato::vmm
