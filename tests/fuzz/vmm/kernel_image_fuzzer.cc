// Kernel files are untrusted input: any bytes must load or fail with strato::Error, never crash
// or write outside guest memory. Exercises the ELF loader (headers, program headers, notes) and the
// bzImage header parser/loader.

#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "vmm/boot/bzimage.h"
#include "vmm/boot/elf_loader.h"
#include "vmm/memory/guest_memory.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static strato::vmm::GuestMemory memory(16u << 20);
  std::span<const uint8_t> image(data, size);
  try {
    if (strato::vmm::LooksLikeElf(image)) {
      strato::vmm::LoadElf(image, memory, "fuzz");
    } else {
      strato::vmm::LoadBzImage(image, memory, "fuzz");
    }
  } catch (const strato::Error&) {
  }
  return 0;
}
