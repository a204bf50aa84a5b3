#include "vmm/irq/irq_planner.h"

#include <catch2/catch.hpp>

#include "common/error.h"

using namespace strato::vmm;

TEST_CASE("IRQ planner: the in-kernel budget is KVM's 24 pins minus legacy pins 0-4") {
  CHECK(kInKernelDeviceBudget == 19);
  CHECK(kSplitDeviceBudget == 251);
}

TEST_CASE("IRQ planner: 1 device in auto mode uses the in-kernel irqchip on pin 5") {
  IrqPlan p = PlanIrqs(1, IrqchipMode::kAuto);
  CHECK(p.mode == IrqchipMode::kKernel);
  CHECK(p.device_pins == std::vector<uint32_t>{5});
  CHECK(p.ioapic_pins == 24);
  CHECK(p.reason == "1 devices <= in-kernel budget 19: in-kernel irqchip");
}

TEST_CASE("IRQ planner: exactly the budget stays in-kernel, pins 5..23") {
  IrqPlan p = PlanIrqs(kInKernelDeviceBudget, IrqchipMode::kAuto);
  CHECK(p.mode == IrqchipMode::kKernel);
  REQUIRE(p.device_pins.size() == 19);
  CHECK(p.device_pins.front() == 5);
  CHECK(p.device_pins.back() == 23);
  CHECK_NOTHROW(PlanIrqs(kInKernelDeviceBudget, IrqchipMode::kKernel));
}

TEST_CASE("IRQ planner: budget + 1 switches to split in auto mode and is an error when forced") {
  IrqPlan p = PlanIrqs(kInKernelDeviceBudget + 1, IrqchipMode::kAuto);
  CHECK(p.mode == IrqchipMode::kSplit);
  CHECK(p.ioapic_pins == 25);
  CHECK(p.device_pins.back() == 24);
  CHECK(p.reason == "20 devices > in-kernel budget 19: enabling split irqchip");
  CHECK_THROWS_WITH(PlanIrqs(20, IrqchipMode::kKernel),
                    "20 devices > in-kernel budget 19: --irqchip kernel cannot serve them (use "
                    "--irqchip split or auto)");
}

TEST_CASE("IRQ planner: 250 devices fit the split IOAPIC, 252 do not") {
  IrqPlan p = PlanIrqs(250, IrqchipMode::kAuto);
  CHECK(p.mode == IrqchipMode::kSplit);
  CHECK(p.device_pins.size() == 250);
  CHECK(p.device_pins.back() == 254);
  CHECK(p.ioapic_pins == 255);
  CHECK(PlanIrqs(251, IrqchipMode::kSplit).device_pins.back() == 255);
  CHECK_THROWS_AS(PlanIrqs(252, IrqchipMode::kAuto), strato::Error);
  CHECK_THROWS_AS(PlanIrqs(250, IrqchipMode::kKernel), strato::Error);
}

TEST_CASE("IRQ planner: forced split with 1 device and mode parsing") {
  CHECK(PlanIrqs(1, IrqchipMode::kSplit).mode == IrqchipMode::kSplit);
  CHECK(PlanIrqs(1, IrqchipMode::kSplit).ioapic_pins == 24);
  CHECK(PlanIrqs(251, IrqchipMode::kSplit).ioapic_pins == 256);
  CHECK(PlanIrqs(0, IrqchipMode::kAuto).device_pins.empty());
  CHECK(ParseIrqchipMode("auto") == IrqchipMode::kAuto);
  CHECK(ParseIrqchipMode("kernel") == IrqchipMode::kKernel);
  CHECK(ParseIrqchipMode("split") == IrqchipMode::kSplit);
  CHECK_THROWS_AS(ParseIrqchipMode("pic"), strato::UsageError);
}
