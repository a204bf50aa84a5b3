#pragma once
// How the guest kernel learns about virtio-mmio devices: one `virtio_mmio.device=4K@<base>:<irq>`
// command-line entry per slot (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES; docs/virtio.md explains the
// choice over ACPI). About 30 bytes per device: 250 devices take ~7.5 KiB of the guest kernel's
// 16 KiB COMMAND_LINE_SIZE (packaging/kernel raises it from 2048).

#include <cstdint>
#include <string>

namespace strato::vmm {

// " virtio_mmio.device=4K@0xd0000000:5" (with the leading space).
std::string VirtioMmioCmdlineEntry(uint64_t base, uint32_t irq);

}  // namespace strato::vmm
