#pragma once
// The Linux 64-bit boot protocol's zero page (struct boot_params, Documentation/x86/zero-page.rst)
// and the initrd placement rule.

#include <asm/bootparam.h>

#include <cstdint>
#include <string>

#include "vmm/boot/kernel_image.h"

namespace strato::vmm {

inline constexpr uint8_t kLoaderTypeUndefined = 0xff;  // type_of_loader: "not assigned"

struct ZeroPageInputs {
  const LoadedKernel* kernel = nullptr;
  uint64_t memory_size = 0;
  uint64_t cmdline_address = 0;
  uint32_t cmdline_size = 0;  // without the NUL
  uint64_t initrd_address = 0;
  uint64_t initrd_size = 0;
};

boot_params BuildZeroPage(const ZeroPageInputs& in);

// Where the initrd goes: page-aligned, as high as possible below min(low RAM end,
// initrd_addr_max + 1), above the kernel image. Throws strato::Error if it cannot fit.
uint64_t PlaceInitrd(uint64_t initrd_size, uint64_t low_memory_end, uint64_t kernel_end,
                     uint64_t initrd_addr_max);

}  // namespace strato::vmm
