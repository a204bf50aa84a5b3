#include "vmm/devices/serial_8250.h"

namespace strato::vmm {

namespace {
// Register offsets (PC16550D datasheet, table 2; DLAB = LCR bit 7).
constexpr uint64_t kRegData = 0;  // RBR (read) / THR (write); DLL with DLAB
constexpr uint64_t kRegIer = 1;   // interrupt enable; DLM with DLAB
constexpr uint64_t kRegIirFcr = 2;
constexpr uint64_t kRegLcr = 3;
constexpr uint64_t kRegMcr = 4;
constexpr uint64_t kRegLsr = 5;
constexpr uint64_t kRegMsr = 6;
constexpr uint64_t kRegScr = 7;

constexpr uint8_t kIerReceiveData = 0x01;
constexpr uint8_t kIerThrEmpty = 0x02;
constexpr uint8_t kIerMask = 0x0f;
constexpr uint8_t kIirNoInterrupt = 0x01;
constexpr uint8_t kIirThrEmpty = 0x02;
constexpr uint8_t kIirReceiveData = 0x04;
constexpr uint8_t kIirFifoEnabled = 0xc0;  // both bits: a 16550A with working FIFOs
constexpr uint8_t kFcrEnableFifo = 0x01;
constexpr uint8_t kFcrClearReceive = 0x02;
constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrMask = 0x1f;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;
constexpr uint8_t kLsrDataReady = 0x01;
constexpr uint8_t kLsrThrEmpty = 0x20;
constexpr uint8_t kLsrTransmitterEmpty = 0x40;
constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
}  // namespace

Serial8250::Serial8250(std::shared_ptr<IrqLine> irq, OutputFn output)
    : irq_(std::move(irq)), output_(std::move(output)) {}

bool Serial8250::loopback() const {
  return (mcr_ & kMcrLoop) != 0;
}

uint8_t Serial8250::PendingInterrupt() const {
  if ((ier_ & kIerReceiveData) && !rx_.empty()) return kIirReceiveData;
  if ((ier_ & kIerThrEmpty) && thr_empty_interrupt_) return kIirThrEmpty;
  return kIirNoInterrupt;
}

void Serial8250::Read(uint64_t offset, std::span<uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  // Byte registers: a wider access reads the register at `offset` into the low byte.
  SetAccessValue(data, offset < kRegisterCount ? ReadRegister(offset) : 0xff);
}

void Serial8250::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty() || offset >= kRegisterCount) return;
  bool raise = false;
  {
    std::lock_guard lock(mu_);
    uint8_t before = PendingInterrupt();
    WriteRegister(offset, data[0]);
    uint8_t after = PendingInterrupt();
    // A new interrupt condition -> one edge. A THR write re-arms THRE only after the guest read
    // IIR (as a real 16550 interrupts once its FIFO drained, not per byte).
    raise = after != kIirNoInterrupt && after != before;
  }
  if (raise && irq_) irq_->Pulse();
}

uint8_t Serial8250::ReadRegister(uint64_t offset) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRegData: {
      if (dlab) return divisor_low_;
      if (rx_.empty()) return 0;
      uint8_t b = rx_.front();
      rx_.pop_front();
      return b;
    }
    case kRegIer:
      return dlab ? divisor_high_ : ier_;
    case kRegIirFcr: {
      uint8_t iir = PendingInterrupt();
      if (iir == kIirThrEmpty) thr_empty_interrupt_ = false;  // reading IIR clears THRE
      return iir | ((fcr_ & kFcrEnableFifo) ? kIirFifoEnabled : 0);
    }
    case kRegLcr:
      return lcr_;
    case kRegMcr:
      return mcr_;
    case kRegLsr:
      return kLsrThrEmpty | kLsrTransmitterEmpty | (rx_.empty() ? 0 : kLsrDataReady);
    case kRegMsr:
      if (loopback()) {
        // Loopback wiring: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD (the probe checks this).
        return ((mcr_ & kMcrRts) ? kMsrCts : 0) | ((mcr_ & kMcrDtr) ? kMsrDsr : 0) |
               ((mcr_ & kMcrOut1) ? kMsrRi : 0) | ((mcr_ & kMcrOut2) ? kMsrDcd : 0);
      }
      return kMsrDcd | kMsrDsr | kMsrCts;  // a connected line
    case kRegScr:
      return scr_;
  }
  return 0xff;
}

void Serial8250::WriteRegister(uint64_t offset, uint8_t value) {
  const bool dlab = (lcr_ & kLcrDlab) != 0;
  switch (offset) {
    case kRegData:
      if (dlab) {
        divisor_low_ = value;
      } else if (loopback()) {
        if (rx_.size() < kInputCapacity) rx_.push_back(value);
        thr_empty_interrupt_ = true;
      } else {
        if (output_) output_(value);
        thr_empty_interrupt_ = true;
      }
      break;
    case kRegIer:
      if (dlab) {
        divisor_high_ = value;
      } else {
        // Enabling THRE while THR is empty raises the interrupt at once.
        if ((value & kIerThrEmpty) && !(ier_ & kIerThrEmpty)) thr_empty_interrupt_ = true;
        ier_ = value & kIerMask;
      }
      break;
    case kRegIirFcr:
      fcr_ = value;
      if (value & kFcrClearReceive) rx_.clear();
      break;
    case kRegLcr:
      lcr_ = value;
      break;
    case kRegMcr:
      mcr_ = value & kMcrMask;
      break;
    case kRegScr:
      scr_ = value;
      break;
    default:  // LSR and MSR are read-only
      break;
  }
}

size_t Serial8250::EnqueueInput(std::span<const uint8_t> bytes) {
  size_t accepted = 0;
  bool raise = false;
  {
    std::lock_guard lock(mu_);
    uint8_t before = PendingInterrupt();
    while (accepted < bytes.size() && rx_.size() < kInputCapacity) rx_.push_back(bytes[accepted++]);
    raise = before != kIirReceiveData && PendingInterrupt() == kIirReceiveData;
  }
  if (raise && irq_) irq_->Pulse();
  return accepted;
}

}  // namespace strato::vmm
