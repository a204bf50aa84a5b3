#include "vmm/boot/e820.h"

#include "vmm/layout.h"
#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

std::vector<boot_e820_entry> BuildE820(uint64_t memory_size) {
  std::vector<boot_e820_entry> map;
  map.push_back({0, layout::kBaseMemoryEnd, kE820Ram});
  map.push_back(
      {layout::kBaseMemoryEnd, layout::kLegacyHoleEnd - layout::kBaseMemoryEnd, kE820Reserved});
  for (auto [base, size] : RamRanges(memory_size)) {
    if (base == 0) {
      if (size > layout::kHighMemoryStart) {
        map.push_back({layout::kHighMemoryStart, size - layout::kHighMemoryStart, kE820Ram});
      }
    } else {
      map.push_back({base, size, kE820Ram});
    }
  }
  return map;
}

}  // namespace strato::vmm
