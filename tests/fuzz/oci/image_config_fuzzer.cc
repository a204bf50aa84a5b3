// libFuzzer target: image config parsing (untrusted blob from an image) never crashes.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "oci/image.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)strato::oci::ParseImageConfig(std::string(reinterpret_cast<const char*>(data), size));
  } catch (const strato::Error&) {
  }
  return 0;
}
