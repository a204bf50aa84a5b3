#pragma once
// The BIOS-style memory map (e820) the guest kernel reads from the zero page.

#include <asm/bootparam.h>

#include <cstdint>
#include <vector>

namespace strato::vmm {

inline constexpr uint32_t kE820Ram = 1;       // E820_TYPE_RAM
inline constexpr uint32_t kE820Reserved = 2;  // E820_TYPE_RESERVED

// RAM [0, 0x9fc00), the MP table/EBDA and legacy hole reserved up to 1 MiB, RAM from 1 MiB to
// the end of low memory, and RAM above 4 GiB if any (pure; unit tested).
std::vector<boot_e820_entry> BuildE820(uint64_t memory_size);

}  // namespace strato::vmm
