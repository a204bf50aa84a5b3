#pragma once
// A device reachable by port I/O or MMIO. The bus hands it the offset inside its registered range
// and the access bytes (1, 2, 4 or 8 of them, little-endian). Devices are called from vCPU
// threads concurrently and must lock their own state. The guest controls offset, size and data.

#include <cstdint>
#include <span>

namespace strato::vmm {

class BusDevice {
 public:
  virtual ~BusDevice() = default;
  virtual void Read(uint64_t offset, std::span<uint8_t> data) = 0;
  virtual void Write(uint64_t offset, std::span<const uint8_t> data) = 0;
};

// Little-endian value of an access of up to 8 bytes (larger spans are truncated).
uint64_t AccessValue(std::span<const uint8_t> data);
// Fills an access with the low bytes of `value`.
void SetAccessValue(std::span<uint8_t> data, uint64_t value);

}  // namespace strato::vmm
