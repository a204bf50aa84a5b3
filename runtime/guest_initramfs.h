#pragma once
// The guest's initramfs for one container: a base archive holding strato-init as /init (plus
// /dev/console, which the kernel opens for init's stdio), cached by content in a cache directory
// and shared by every container, followed by the per-container config archive
// (guest/config/config_archive.h). The kernel unpacks the two one after the other.

#include <string>
#include <vector>

#include "guest/config/guest_config.h"
#include "rootfs/initramfs/initramfs_builder.h"

namespace strato::runtime {

// The entries of the base archive for `init_binary`.
std::vector<initramfs::InitramfsEntry> BaseInitramfsEntries(const std::string& init_binary);

// $STRATO_INITRAMFS_CACHE, else /var/cache/strato/initramfs.
std::string DefaultInitramfsCacheDir();

// Writes `output_path` = cached base archive (built into `cache_dir` once per strato-init build)
// + the config archive of `config`. Throws strato::Error / oci::SpecError naming the problem.
void WriteGuestInitrd(const guest::GuestConfig& config, const std::string& init_binary,
                      const std::string& cache_dir, const std::string& output_path);

}  // namespace strato::runtime
