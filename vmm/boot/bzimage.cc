#include "vmm/boot/bzimage.h"

#include <cstring>

#include "common/error.h"
#include "vmm/layout.h"

namespace strato::vmm {

namespace {
constexpr size_t kSectorSize = 512;
constexpr uint8_t kDefaultSetupSects = 4;  // "if setup_sects is 0, the real value is 4"
constexpr uint16_t kBootFlag = 0xaa55;
// The header's length: it runs from 0x1f1 to 0x202 + the byte at 0x201 (the jump offset).
constexpr size_t kJumpOffsetByte = 0x201;
constexpr size_t kHeaderJumpBase = 0x202;
}  // namespace

setup_header ParseBzImageHeader(std::span<const uint8_t> image, const std::string& name) {
  auto fail = [&name](const std::string& why) -> Error {
    return Error(name + ": not a bootable bzImage: " + why);
  };
  if (image.size() < kSetupHeaderOffset + sizeof(setup_header)) {
    throw fail("file is shorter than the setup header (" + std::to_string(image.size()) +
               " bytes)");
  }
  setup_header h;
  std::memcpy(&h, image.data() + kSetupHeaderOffset, sizeof h);
  if (h.header != kHdrSMagic) throw fail("no \"HdrS\" signature at 0x202");
  if (h.boot_flag != kBootFlag) throw fail("boot flag is not 0xaa55");
  if (h.version < kMinBootProtocol) {
    char v[16];
    std::snprintf(v, sizeof v, "%u.%02u", h.version >> 8, h.version & 0xff);
    throw fail(std::string("boot protocol ") + v + " is older than 2.12 (no 64-bit entry)");
  }
  if ((h.xloadflags & kXlfKernel64) == 0) throw fail("kernel has no 64-bit entry (XLF_KERNEL_64)");
  if ((h.loadflags & kLoadedHigh) == 0) throw fail("kernel is not loaded high (zImage?)");
  size_t setup_sects = h.setup_sects == 0 ? kDefaultSetupSects : h.setup_sects;
  if ((setup_sects + 1) * kSectorSize >= image.size()) {
    throw fail("setup sectors cover the whole file (truncated?)");
  }
  return h;
}

LoadedKernel LoadBzImage(std::span<const uint8_t> image, const GuestMemory& memory,
                         const std::string& name) {
  setup_header h = ParseBzImageHeader(image, name);
  size_t setup_sects = h.setup_sects == 0 ? kDefaultSetupSects : h.setup_sects;
  size_t kernel_offset = (setup_sects + 1) * kSectorSize;
  auto kernel = image.subspan(kernel_offset);
  uint64_t load = layout::kHighMemoryStart;
  // The decompressor needs init_size bytes from the load address.
  uint64_t span = std::max<uint64_t>(kernel.size(), h.init_size);
  if (memory.HostRange(load, span) == nullptr) {
    throw Error(name + ": kernel needs " + std::to_string(span >> 20) +
                " MiB above 1 MiB, more than guest RAM: give the VM more memory");
  }
  memory.Write(load, kernel);
  // The header copied into the zero page is only as long as the image says (older fields
  // beyond it must read as zero).
  size_t header_end = kHeaderJumpBase + image[kJumpOffsetByte];
  size_t copy = std::min(sizeof(setup_header), header_end - kSetupHeaderOffset);
  setup_header zero_page_header{};
  std::memcpy(&zero_page_header, image.data() + kSetupHeaderOffset, copy);

  LoadedKernel k;
  k.format = KernelFormat::kBzImage;
  k.entry = load + kBzImage64BitEntryOffset;
  k.image_end = load + span;
  k.setup = zero_page_header;
  k.initrd_addr_max = h.initrd_addr_max;
  return k;
}

}  // namespace strato::vmm
