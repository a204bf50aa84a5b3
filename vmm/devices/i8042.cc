#include "vmm/devices/i8042.h"

#include <cstring>

namespace strato::vmm {

namespace {
constexpr uint64_t kCommandPortOffset = 4;  // 0x64 - 0x60
}

void I8042::Read(uint64_t offset, std::span<uint8_t> data) {
  std::memset(data.data(), 0, data.size());
  if (offset == kCommandPortOffset && !data.empty()) data[0] = kStatusOutputFull;
}

void I8042::Write(uint64_t offset, std::span<const uint8_t> data) {
  if (offset == kCommandPortOffset && !data.empty() && data[0] == kCommandReset && on_reset_) {
    on_reset_();
  }
}

}  // namespace strato::vmm
