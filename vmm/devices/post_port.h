#pragma once
// Port 0x80, the POST diagnostic port: firmware writes progress codes and Linux writes to it as
// an I/O delay. Writes are dropped, reads return 0, so neither needs a log line.

#include <cstring>
#include <span>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class PostPort : public BusDevice {
 public:
  void Read(uint64_t, std::span<uint8_t> data) override {
    std::memset(data.data(), 0, data.size());
  }
  void Write(uint64_t, std::span<const uint8_t>) override {}
};

}  // namespace strato::vmm
