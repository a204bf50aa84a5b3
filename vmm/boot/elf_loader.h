#pragma once
// Loads a static x86-64 ELF executable (a Linux vmlinux or a freestanding test guest) into guest
// memory at its physical addresses (p_paddr of each PT_LOAD). Every header field comes from the
// file and is untrusted: offsets, sizes and addresses are bounds-checked against the file and
// guest RAM, and garbage is a strato::Error that says what is wrong.

#include <cstdint>
#include <span>

#include "vmm/boot/kernel_image.h"
#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

// True if the bytes start with the ELF magic (the caller then uses LoadElf, else tries bzImage).
bool LooksLikeElf(std::span<const uint8_t> image);

// Loads every PT_LOAD segment; segments must lie in RAM at or above 1 MiB (below that are the
// boot structures). `name` is used in error messages.
LoadedKernel LoadElf(std::span<const uint8_t> image, const GuestMemory& memory,
                     const std::string& name);

}  // namespace strato::vmm
