#pragma once
// A 16550A-compatible UART (the PC's COM1 at 0x3f8, GSI 4): transmit goes straight to an output
// callback (so THR is always empty), receive comes from the host through a bounded buffer, with
// the receive-data and THR-empty interrupts, the divisor latch, scratch register and the modem
// loopback the Linux 8250 driver's probe uses.

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>

#include "vmm/bus/bus_device.h"
#include "vmm/irq/irq_line.h"

namespace strato::vmm {

class Serial8250 : public BusDevice {
 public:
  using OutputFn = std::function<void(uint8_t)>;
  static constexpr uint64_t kRegisterCount = 8;
  // Host input waiting for the guest; more is dropped (and counted).
  static constexpr size_t kInputCapacity = 4096;

  Serial8250(std::shared_ptr<IrqLine> irq, OutputFn output);

  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

  // Queues host bytes for the guest; returns how many were accepted.
  size_t EnqueueInput(std::span<const uint8_t> bytes);

 private:
  uint8_t ReadRegister(uint64_t offset);
  void WriteRegister(uint64_t offset, uint8_t value);
  // The interrupt identification value for the current state (without FIFO bits).
  uint8_t PendingInterrupt() const;
  bool loopback() const;

  std::mutex mu_;
  std::shared_ptr<IrqLine> irq_;
  OutputFn output_;
  std::deque<uint8_t> rx_;
  bool thr_empty_interrupt_ = false;  // THRE interrupt pending until IIR is read or THR written
  uint8_t ier_ = 0, lcr_ = 0, mcr_ = 0, scr_ = 0, fcr_ = 0;
  uint8_t divisor_low_ = 0x0c, divisor_high_ = 0;  // 9600 baud, as a PC BIOS leaves it
};

}  // namespace strato::vmm
