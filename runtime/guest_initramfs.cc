#include "runtime/guest_initramfs.h"

#include <cstdlib>

#include "common/paths.h"
#include "guest/config/config_archive.h"

namespace strato::runtime {
namespace {

// /dev/console: character device 5:1 (Documentation/admin-guide/devices.txt).
constexpr uint32_t kConsoleMajor = 5;
constexpr uint32_t kConsoleMinor = 1;

}  // namespace

std::vector<initramfs::InitramfsEntry> BaseInitramfsEntries(const std::string& init_binary) {
  using initramfs::InitramfsEntry;
  return {
      InitramfsEntry::Directory("dev"),
      InitramfsEntry::Device(InitramfsEntry::Kind::kCharDevice, "dev/console", kConsoleMajor,
                             kConsoleMinor),
      InitramfsEntry::HostFile("init", init_binary, {.permissions = 0755}),
  };
}

std::string DefaultInitramfsCacheDir() {
  const char* env = std::getenv(paths::kInitramfsCacheEnv);
  return env != nullptr && *env != '\0' ? env : paths::kDefaultInitramfsCache;
}

void WriteGuestInitrd(const guest::GuestConfig& config, const std::string& init_binary,
                      const std::string& cache_dir, const std::string& output_path) {
  std::string config_archive = guest::BuildConfigArchive(config);
  std::string base = initramfs::WriteCachedArchive(cache_dir, BaseInitramfsEntries(init_binary));
  initramfs::WriteConcatenatedArchive(output_path, {base}, config_archive);
}

}  // namespace strato::runtime
