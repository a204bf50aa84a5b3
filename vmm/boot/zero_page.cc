#include "vmm/boot/zero_page.h"

#include <cstring>

#include "common/error.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/e820.h"
#include "vmm/layout.h"

namespace strato::vmm {

namespace {
constexpr uint16_t kBootFlag = 0xaa55;
constexpr uint32_t kKernelAlignment = 0x1000000;  // 16 MiB, as a relocatable kernel reports
constexpr size_t kMaxE820Entries = sizeof(boot_params::e820_table) / sizeof(boot_e820_entry);
}  // namespace

boot_params BuildZeroPage(const ZeroPageInputs& in) {
  boot_params bp{};
  if (in.kernel != nullptr && in.kernel->setup) {
    bp.hdr = *in.kernel->setup;
  } else {
    // An ELF vmlinux has no setup header: fill the fields the kernel checks.
    bp.hdr.boot_flag = kBootFlag;
    bp.hdr.header = kHdrSMagic;
    bp.hdr.kernel_alignment = kKernelAlignment;
  }
  bp.hdr.type_of_loader = kLoaderTypeUndefined;
  bp.hdr.cmd_line_ptr = static_cast<uint32_t>(in.cmdline_address);
  bp.ext_cmd_line_ptr = static_cast<uint32_t>(in.cmdline_address >> 32);
  bp.hdr.cmdline_size = in.cmdline_size;
  bp.hdr.ramdisk_image = static_cast<uint32_t>(in.initrd_address);
  bp.ext_ramdisk_image = static_cast<uint32_t>(in.initrd_address >> 32);
  bp.hdr.ramdisk_size = static_cast<uint32_t>(in.initrd_size);
  bp.ext_ramdisk_size = static_cast<uint32_t>(in.initrd_size >> 32);
  auto e820 = BuildE820(in.memory_size);
  if (e820.size() > kMaxE820Entries) throw Error("too many e820 entries");
  for (size_t i = 0; i < e820.size(); ++i) bp.e820_table[i] = e820[i];
  bp.e820_entries = static_cast<uint8_t>(e820.size());
  return bp;
}

uint64_t PlaceInitrd(uint64_t initrd_size, uint64_t low_memory_end, uint64_t kernel_end,
                     uint64_t initrd_addr_max) {
  uint64_t limit = std::min(low_memory_end, initrd_addr_max + 1);
  uint64_t floor = (kernel_end + layout::kPageSize - 1) & ~(layout::kPageSize - 1);
  if (initrd_size > limit || ((limit - initrd_size) & ~(layout::kPageSize - 1)) < floor) {
    throw Error("initrd of " + std::to_string(initrd_size) + " bytes does not fit between the " +
                "kernel (ends at " + std::to_string(kernel_end >> 20) + " MiB) and " +
                std::to_string(limit >> 20) + " MiB: give the VM more memory");
  }
  return (limit - initrd_size) & ~(layout::kPageSize - 1);
}

}  // namespace strato::vmm
