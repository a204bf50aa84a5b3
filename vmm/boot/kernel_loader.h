#pragma once
// Loads a kernel file into guest memory, choosing the format by content: an ELF (vmlinux or test
// guest) or a bzImage; anything else is a clear error. The file is mapped read-only, so only the
// loaded segments are ever read (a vmlinux with debug info stays cheap).

#include <string>

#include "vmm/boot/kernel_image.h"
#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

LoadedKernel LoadKernelFile(const std::string& path, const GuestMemory& memory);

// Reads the initrd straight into guest memory (placed with PlaceInitrd) and returns its
// address and size.
std::pair<uint64_t, uint64_t> LoadInitrdFile(const std::string& path, const GuestMemory& memory,
                                             const LoadedKernel& kernel);

}  // namespace strato::vmm
