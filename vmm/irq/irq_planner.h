#pragma once
// IRQ planning: from the number of interrupt-raising devices (virtio-mmio slots), choose the
// irqchip mode and one IOAPIC pin (= GSI) per device.
//
// In-kernel budget: KVM's in-kernel IOAPIC has KVM_IOAPIC_NUM_PINS = 24 pins, fixed in KVM. The
// legacy pins 0-4 stay reserved: 0 = PIT timer (in-kernel i8254), 1 = i8042 keyboard (Linux's
// i8042 driver may request it), 2 = the 8259 cascade (never a device pin), 3 = COM2 (ISA-reserved,
// Linux's 8250 driver probes it), 4 = COM1 (our console). Pins 5..23 are free: 24 - 5 = 19
// devices. (Pin 8, the RTC, is free because our CMOS model never raises an interrupt.) This is the
// same budget Firecracker uses (GSIs 5..=23).
//
// Split irqchip: the IOAPIC lives in userspace (vmm/irq/userspace_ioapic.h) with up to 256 pins,
// the most a version register can announce (max redirection entry is 8 bits). Pins 0-4 stay
// legacy, so pins 5..255 = 251 devices.
//
// Rule (mode auto): devices <= budget -> in-kernel irqchip, else split, logged with the reason.
// Forcing kernel with too many devices, or any mode with more devices than the split IOAPIC has
// pins, is a strato::Error, never a silent drop.

#include <cstdint>
#include <string>
#include <vector>

#include "vmm/layout.h"

namespace strato::vmm {

enum class IrqchipMode { kAuto, kKernel, kSplit };

// "auto", "kernel" or "split"; throws strato::UsageError otherwise.
IrqchipMode ParseIrqchipMode(const std::string& text);
const char* IrqchipModeName(IrqchipMode mode);

// Pins 0..kFirstDeviceGsi-1 are the legacy ones described above.
inline constexpr uint32_t kInKernelIoapicPins = layout::kIoapicPins;  // KVM_IOAPIC_NUM_PINS
inline constexpr uint32_t kFirstDevicePin = layout::kFirstDeviceGsi;  // 5
inline constexpr uint32_t kInKernelDeviceBudget = kInKernelIoapicPins - kFirstDevicePin;  // 19
// The userspace IOAPIC: IOAPIC version register bits 23:16 (max redirection entry) are 8 bits.
inline constexpr uint32_t kUserspaceIoapicPins = 256;
inline constexpr uint32_t kSplitDeviceBudget = kUserspaceIoapicPins - kFirstDevicePin;  // 251
static_assert(kInKernelDeviceBudget == 19);

struct IrqPlan {
  IrqchipMode mode = IrqchipMode::kKernel;  // kKernel or kSplit, never kAuto
  std::vector<uint32_t> device_pins;        // pin (= GSI) of device i
  // Pins of the IOAPIC the guest sees: 24 in-kernel; split: max(24, last device pin + 1).
  uint32_t ioapic_pins = kInKernelIoapicPins;
  std::string reason;  // why this mode (logged by the VM)
};

// Pure: throws strato::Error when `devices` cannot be served in `requested` mode.
IrqPlan PlanIrqs(uint32_t devices, IrqchipMode requested);

}  // namespace strato::vmm
