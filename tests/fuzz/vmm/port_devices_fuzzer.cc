// Guest port I/O is untrusted: any sequence of reads and writes of any size to the legacy devices
// (8250 UART, CMOS, i8042, POST, test-status port) through the bus must be handled without a crash
// or an out-of-bounds access. Each input is a list of 4-byte records:
//   [port offset from 0x60 (1 byte, x4)] [size 1..8] [direction] [value byte].

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "vmm/bus/io_bus.h"
#include "vmm/devices/cmos.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/post_port.h"
#include "vmm/devices/serial_8250.h"
#include "vmm/devices/test_status_port.h"
#include "vmm/layout.h"

namespace {

struct NullIrq : strato::vmm::IrqLine {
  void Pulse() override {}
  void SetLevel(bool) override {}
  uint32_t gsi() const override { return 4; }
};

constexpr size_t kRecordSize = 4;
constexpr uint64_t kPortBase = 0x60;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strato::vmm;
  IoBus bus("port I/O");
  auto serial = std::make_shared<Serial8250>(std::make_shared<NullIrq>(), [](uint8_t) {});
  bus.Register(layout::kPortCom1, Serial8250::kRegisterCount, serial, "uart");
  bus.Register(layout::kPortI8042Data, I8042::kPortSpan, std::make_shared<I8042>([] {}), "i8042");
  bus.Register(layout::kPortCmosIndex, Cmos::kPortSpan, std::make_shared<Cmos>(), "cmos");
  bus.Register(layout::kPortPost, 1, std::make_shared<PostPort>(), "post");
  bus.Register(layout::kPortTestStatus, TestStatusPort::kPortSpan,
               std::make_shared<TestStatusPort>([](uint32_t) {}), "status");
  for (size_t i = 0; i + kRecordSize <= size; i += kRecordSize) {
    uint64_t port = kPortBase + uint64_t{data[i]} * 4;  // covers 0x60..0x45c
    size_t width = 1 + data[i + 1] % 8;
    std::vector<uint8_t> access(width, data[i + 3]);
    if (data[i + 2] & 1) {
      bus.Write(port, access);
    } else {
      bus.Read(port, access);
    }
    if (data[i + 2] & 2) serial->EnqueueInput(access);
  }
  return 0;
}
