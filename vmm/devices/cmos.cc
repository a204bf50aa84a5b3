#include "vmm/devices/cmos.h"

#include <ctime>

#include "vmm/bus/bus_device.h"

namespace strato::vmm {

namespace {
// MC146818 register indices and values.
constexpr uint8_t kIndexMask = 0x7f;  // bit 7 of the index write is the NMI-disable bit
constexpr uint8_t kRegSeconds = 0x00, kRegMinutes = 0x02, kRegHours = 0x04, kRegWeekday = 0x06;
constexpr uint8_t kRegDay = 0x07, kRegMonth = 0x08, kRegYear = 0x09, kRegCentury = 0x32;
constexpr uint8_t kRegA = 0x0a, kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d;
constexpr uint8_t kRegAValue = 0x26;     // 32.768 kHz base, 1.024 kHz rate, UIP (bit 7) clear
constexpr uint8_t kRegB24Hour = 0x02;    // 24-hour mode, BCD (DM bit 2 clear)
constexpr uint8_t kRegDValidRam = 0x80;  // VRT: battery good
constexpr uint64_t kDataOffset = 1;

uint8_t Bcd(int v) {
  return static_cast<uint8_t>(((v / 10) << 4) | (v % 10));
}
}  // namespace

uint8_t Cmos::ReadRegister(uint8_t index) {
  std::time_t now = std::time(nullptr);
  std::tm t{};
  gmtime_r(&now, &t);
  switch (index) {
    case kRegSeconds:
      return Bcd(t.tm_sec);
    case kRegMinutes:
      return Bcd(t.tm_min);
    case kRegHours:
      return Bcd(t.tm_hour);
    case kRegWeekday:
      return Bcd(t.tm_wday + 1);
    case kRegDay:
      return Bcd(t.tm_mday);
    case kRegMonth:
      return Bcd(t.tm_mon + 1);
    case kRegYear:
      return Bcd(t.tm_year % 100);
    case kRegCentury:
      return Bcd((t.tm_year + 1900) / 100);
    case kRegA:
      return kRegAValue;
    case kRegB:
      return kRegB24Hour;
    case kRegC:
      return 0;  // no interrupt flags
    case kRegD:
      return kRegDValidRam;
    default:
      return ram_[index];
  }
}

void Cmos::Read(uint64_t offset, std::span<uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  SetAccessValue(data, offset == kDataOffset ? ReadRegister(index_) : 0xff);
}

void Cmos::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (data.empty()) return;
  std::lock_guard lock(mu_);
  if (offset == kDataOffset) {
    ram_[index_] = data[0];
  } else {
    index_ = data[0] & kIndexMask;
  }
}

}  // namespace strato::vmm
