// libFuzzer target: config.json parsing must answer any input with a value or a strato::Error,
// never a crash, hang or other exception.

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/error.h"
#include "oci/runtime_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    strato::oci::RuntimeSpec spec = strato::oci::ParseRuntimeSpec(text);
    (void)spec;
  } catch (const strato::Error&) {
  }
  try {
    (void)strato::oci::ParseProcess(text);
  } catch (const strato::Error&) {
  }
  return 0;
}
