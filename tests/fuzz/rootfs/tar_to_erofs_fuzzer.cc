// libFuzzer target: arbitrary bytes as a layer (plain, gzip or zstd tar) through the whole
// writer: tar reader, path normalisation, whiteouts, EROFS layout. Bad input must end in
// strato::Error, never a crash, sanitizer report, hang or unbounded allocation.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/convert.h"

namespace {
// Decompressed size cap: keeps every run fast whatever ratio a compressed input has.
constexpr uint64_t kMaxTarBytes = 32ull << 20;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const int kFd = ::memfd_create("fuzz-erofs", 0);
  if (kFd < 0) return 0;
  ::ftruncate(kFd, 0);
  strato::rootfs::ConvertOptions options;
  options.max_tar_bytes = kMaxTarBytes;
  try {
    strato::rootfs::ConvertTarBytes(data, size, kFd, "/tmp", "sha256:fuzz", options);
  } catch (const strato::Error&) {
  }
  return 0;
}
