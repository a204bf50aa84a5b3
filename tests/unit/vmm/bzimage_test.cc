#include "vmm/boot/bzimage.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "common/error.h"

using namespace strato::vmm;

namespace {

constexpr uint64_t kMiB = 1ull << 20;

// A bzImage-shaped file: 4 setup sectors + the boot sector, then `kernel_bytes` of payload.
std::vector<uint8_t> MakeBzImage(uint16_t version = 0x020f, size_t kernel_bytes = 4096) {
  std::vector<uint8_t> image(5 * 512 + kernel_bytes, 0);
  setup_header h{};
  h.setup_sects = 4;
  h.boot_flag = 0xaa55;
  h.header = kHdrSMagic;
  h.version = version;
  h.loadflags = kLoadedHigh;
  h.xloadflags = kXlfKernel64;
  h.initrd_addr_max = 0x37ffffff;
  h.init_size = 2 * kMiB;
  h.jump = 0x66eb;  // jump offset byte (0x201) = 0x66: header ends at 0x268
  std::memcpy(image.data() + kSetupHeaderOffset, &h, sizeof h);
  for (size_t i = 0; i < kernel_bytes; ++i) image[5 * 512 + i] = static_cast<uint8_t>(i * 7);
  return image;
}

std::string ParseError(const std::vector<uint8_t>& image) {
  try {
    ParseBzImageHeader(image, "bz");
  } catch (const strato::Error& e) {
    return e.what();
  }
  return "(parsed)";
}

}  // namespace

TEST_CASE("LoadBzImage puts the protected-mode kernel at 1 MiB with the 64-bit entry") {
  GuestMemory memory(16 * kMiB);
  auto image = MakeBzImage();
  LoadedKernel k = LoadBzImage(image, memory, "bz");
  CHECK(k.format == KernelFormat::kBzImage);
  CHECK(k.entry == 0x100200);
  CHECK(k.image_end == 0x100000 + 2 * kMiB);  // init_size is larger than the payload
  CHECK(k.initrd_addr_max == 0x37ffffff);
  REQUIRE(k.setup.has_value());
  CHECK(k.setup->header == kHdrSMagic);
  CHECK(k.setup->version == 0x020f);
  std::vector<uint8_t> got(4096);
  memory.Read(0x100000, got);
  CHECK(std::equal(got.begin(), got.end(), image.begin() + 5 * 512));
}

TEST_CASE("ParseBzImageHeader rejects what it cannot boot") {
  CHECK(ParseError(std::vector<uint8_t>(100, 0)) ==
        "bz: not a bootable bzImage: file is shorter than the setup header (100 bytes)");
  auto image = MakeBzImage();
  image[0x202] = 'X';
  CHECK(ParseError(image) == "bz: not a bootable bzImage: no \"HdrS\" signature at 0x202");
  CHECK(ParseError(MakeBzImage(0x020a)) ==
        "bz: not a bootable bzImage: boot protocol 2.10 is older than 2.12 (no 64-bit entry)");
  image = MakeBzImage();
  image[kSetupHeaderOffset + offsetof(setup_header, xloadflags)] = 0;
  CHECK(ParseError(image) ==
        "bz: not a bootable bzImage: kernel has no 64-bit entry (XLF_KERNEL_64)");
  image = MakeBzImage();
  image[kSetupHeaderOffset + offsetof(setup_header, loadflags)] = 0;
  CHECK(ParseError(image) == "bz: not a bootable bzImage: kernel is not loaded high (zImage?)");
  image = MakeBzImage();
  image[kSetupHeaderOffset] = 200;  // setup_sects past the end of the file
  CHECK(ParseError(image) ==
        "bz: not a bootable bzImage: setup sectors cover the whole file (truncated?)");
  image = MakeBzImage();
  image[0x1fe] = 0;
  CHECK(ParseError(image) == "bz: not a bootable bzImage: boot flag is not 0xaa55");
}

TEST_CASE("LoadBzImage refuses a kernel larger than guest RAM") {
  GuestMemory memory(2 * kMiB);
  try {
    LoadBzImage(MakeBzImage(), memory, "bz");
    FAIL("loaded");
  } catch (const strato::Error& e) {
    CHECK(std::string(e.what()) ==
          "bz: kernel needs 2 MiB above 1 MiB, more than guest RAM: give the VM more memory");
  }
}
