#include "vmm/devices/serial_8250.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace strato::vmm;

namespace {

struct CountingIrq : IrqLine {
  int pulses = 0;
  void Pulse() override { ++pulses; }
  void SetLevel(bool) override {}
  uint32_t gsi() const override { return 4; }
};

struct Uart {
  std::shared_ptr<CountingIrq> irq = std::make_shared<CountingIrq>();
  std::string out;
  Serial8250 dev{irq, [this](uint8_t b) { out.push_back(static_cast<char>(b)); }};
  uint8_t In(uint64_t reg) {
    uint8_t v = 0;
    dev.Read(reg, std::span<uint8_t>(&v, 1));
    return v;
  }
  void Out(uint64_t reg, uint8_t v) { dev.Write(reg, std::span<const uint8_t>(&v, 1)); }
};

}  // namespace

TEST_CASE("8250: transmit goes to the output, LSR always says THR empty") {
  Uart u;
  u.Out(0, 'h');
  u.Out(0, 'i');
  CHECK(u.out == "hi");
  CHECK(u.In(5) == 0x60);
  CHECK(u.irq->pulses == 0);  // no interrupts enabled
}

TEST_CASE("8250: the Linux probe's scratch, loopback and FIFO checks") {
  Uart u;
  u.Out(7, 0xa5);
  CHECK(u.In(7) == 0xa5);
  u.Out(4, 0x1a);                   // LOOP | OUT2 | RTS
  CHECK((u.In(6) & 0xf0) == 0x90);  // DCD | CTS
  u.Out(4, 0x1f);
  CHECK((u.In(6) & 0xf0) == 0xf0);
  u.Out(0, 'x');  // loopback: back into the receiver, not out
  CHECK(u.out.empty());
  CHECK(u.In(5) & 0x01);
  CHECK(u.In(0) == 'x');
  u.Out(4, 0x00);
  CHECK(u.In(6) == 0xb0);  // a connected line outside loopback
  u.Out(2, 0x07);          // FCR: enable and clear FIFOs
  CHECK((u.In(2) & 0xc0) == 0xc0);
}

TEST_CASE("8250: divisor latch hides data and IER while DLAB is set") {
  Uart u;
  u.Out(3, 0x80);
  u.Out(0, 0x01);
  u.Out(1, 0x00);
  CHECK(u.out.empty());
  CHECK(u.In(0) == 0x01);
  u.Out(3, 0x03);
  CHECK(u.In(1) == 0x00);  // IER untouched
}

TEST_CASE("8250: THR-empty interrupt on enable and per byte, cleared by reading IIR") {
  Uart u;
  CHECK(u.In(2) == 0x01);  // no interrupt
  u.Out(1, 0x02);          // enable THRE
  CHECK(u.irq->pulses == 1);
  CHECK(u.In(2) == 0x02);
  CHECK(u.In(2) == 0x01);  // reading IIR cleared it
  u.Out(0, 'a');
  CHECK(u.irq->pulses == 2);
  u.Out(0, 'b');  // THRE still pending (IIR not read): no new edge
  CHECK(u.irq->pulses == 2);
  CHECK(u.In(2) == 0x02);
}

TEST_CASE("8250: receive data interrupt, bounded input buffer") {
  Uart u;
  u.Out(1, 0x01);
  const std::vector<uint8_t> in = {'o', 'k'};
  CHECK(u.dev.EnqueueInput(in) == 2);
  CHECK(u.irq->pulses == 1);
  CHECK(u.In(2) == 0x04);
  CHECK(u.In(5) == 0x61);
  CHECK(u.In(0) == 'o');
  CHECK(u.In(0) == 'k');
  CHECK(u.In(2) == 0x01);
  CHECK(u.In(0) == 0);  // empty receiver reads 0
  std::vector<uint8_t> flood(Serial8250::kInputCapacity + 10, 'z');
  CHECK(u.dev.EnqueueInput(flood) == Serial8250::kInputCapacity);
}

TEST_CASE("8250: out-of-range offsets and wide accesses are harmless") {
  Uart u;
  uint8_t wide[4] = {'q', 1, 2, 3};
  u.dev.Write(0, std::span<const uint8_t>(wide, 4));  // only the low byte is the register value
  CHECK(u.out == "q");
  u.dev.Write(100, std::span<const uint8_t>(wide, 1));
  uint8_t v[2] = {0, 0};
  u.dev.Read(100, std::span<uint8_t>(v, 2));
  CHECK(v[0] == 0xff);
  CHECK(v[1] == 0x00);
}

#include "vmm/devices/i8042.h"

TEST_CASE("i8042: status says 'no controller' to the probe, command 0xFE resets") {
  int resets = 0;
  I8042 kbc([&] { ++resets; });
  uint8_t status = 0xaa, data = 0xaa;
  kbc.Read(4, std::span<uint8_t>(&status, 1));
  kbc.Read(0, std::span<uint8_t>(&data, 1));
  CHECK(status == 0x01);  // OBF set, IBF clear: the reboot path's kb_wait() returns at once
  CHECK(data == 0x00);
  const uint8_t self_test = 0xaa, reset = 0xfe;
  kbc.Write(4, std::span<const uint8_t>(&self_test, 1));
  kbc.Write(0, std::span<const uint8_t>(&reset, 1));  // 0xfe on the data port is not a reset
  CHECK(resets == 0);
  kbc.Write(4, std::span<const uint8_t>(&reset, 1));
  CHECK(resets == 1);
}
