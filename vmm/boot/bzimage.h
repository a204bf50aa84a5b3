#pragma once
// bzImage support (Documentation/x86/boot.rst): parse and validate the real-mode setup header,
// load the protected-mode kernel at 1 MiB and enter it through the 64-bit entry (load + 0x200).
// Note: on the nested KVM of the CI machines the compressed kernel's decompressor is too slow to
// be useful (see docs/vmm.md); the ELF vmlinux is the normal path.

#include <cstdint>
#include <span>
#include <string>

#include "vmm/boot/kernel_image.h"
#include "vmm/memory/guest_memory.h"

namespace strato::vmm {

// Boot-protocol facts (Documentation/x86/boot.rst, "The real-mode kernel header").
inline constexpr size_t kSetupHeaderOffset = 0x1f1;
inline constexpr uint32_t kHdrSMagic = 0x53726448;    // "HdrS" at 0x202
inline constexpr uint16_t kMinBootProtocol = 0x020c;  // 2.12: xloadflags / 64-bit entry
inline constexpr uint16_t kXlfKernel64 = 1u << 0;     // xloadflags: has the 64-bit entry
inline constexpr uint8_t kLoadedHigh = 1u << 0;       // loadflags: protected-mode code at 1 MiB
inline constexpr uint64_t kBzImage64BitEntryOffset = 0x200;

// Parses and validates the setup header; throws strato::Error naming `name` if the image is not
// a bzImage this loader can boot.
setup_header ParseBzImageHeader(std::span<const uint8_t> image, const std::string& name);

// Loads the protected-mode part at 1 MiB.
LoadedKernel LoadBzImage(std::span<const uint8_t> image, const GuestMemory& memory,
                         const std::string& name);

}  // namespace strato::vmm
