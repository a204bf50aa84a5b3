#pragma once
// The MC146818 CMOS RTC at ports 0x70 (index) / 0x71 (data): the current UTC time in BCD (the
// kernel reads it once at boot for the wall clock), "update not in progress", and 128 bytes of
// scratch RAM for everything else.

#include <array>
#include <mutex>
#include <span>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

class Cmos : public BusDevice {
 public:
  static constexpr uint64_t kPortSpan = 2;
  void Read(uint64_t offset, std::span<uint8_t> data) override;
  void Write(uint64_t offset, std::span<const uint8_t> data) override;

 private:
  uint8_t ReadRegister(uint8_t index);
  std::mutex mu_;
  uint8_t index_ = 0;
  std::array<uint8_t, 128> ram_{};
};

}  // namespace strato::vmm
