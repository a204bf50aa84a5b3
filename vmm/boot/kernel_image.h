#pragma once
// What a kernel loader produced: where to start the guest, and what it needs to know about the
// kernel for the zero page and for placing the initrd.

#include <asm/bootparam.h>

#include <cstdint>
#include <optional>

namespace strato::vmm {

enum class KernelFormat { kElf, kBzImage };

struct LoadedKernel {
  KernelFormat format = KernelFormat::kElf;
  uint64_t entry = 0;      // 64-bit entry point (guest physical; identity-mapped at entry)
  uint64_t image_end = 0;  // first byte after the loaded image (incl. bss / init_size)
  std::optional<uint32_t> pvh_entry;  // XEN_ELFNOTE_PHYS32_ENTRY, if the ELF has one
  // bzImage only: its setup header, copied into the zero page.
  std::optional<setup_header> setup;
  // Highest address the initrd may end at (the setup header's initrd_addr_max; for an ELF
  // vmlinux, the 2 GiB limit of the 64-bit protocol before ext_ramdisk fields).
  uint64_t initrd_addr_max = 0x7fffffff;
};

}  // namespace strato::vmm
