#include "vmm/virtio/mmio_announcement.h"

#include <cstdio>

namespace strato::vmm {

std::string VirtioMmioCmdlineEntry(uint64_t base, uint32_t irq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, " virtio_mmio.device=4K@0x%llx:%u",
                static_cast<unsigned long long>(base), irq);
  return buf;
}

}  // namespace strato::vmm
