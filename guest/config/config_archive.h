#pragma once
// The per-container initramfs archive: a newc cpio holding strato/config.json (the guest config,
// guest/config/guest_config.h). The host concatenates it after the cached base archive that holds
// strato-init (rootfs/initramfs/initramfs_builder.h); the kernel unpacks both, so the guest sees
// /init and /strato/config.json. Layout: docs/guest-init.md "Config archive".

#include <string>

#include "guest/config/guest_config.h"

namespace strato::guest {

// Archive-relative path of the config ("strato/config.json"; the kernel unpacks it at
// kGuestConfigPath).
inline constexpr const char* kConfigArchiveEntry = "strato/config.json";

// The cpio bytes (a whole newc archive with its trailer, length a multiple of 4). Validates the
// config first; throws oci::SpecError / strato::Error naming the problem.
std::string BuildConfigArchive(const GuestConfig& config);

// Reads a newc archive (possibly several concatenated) and returns the contents of the last
// strato/config.json entry, as the kernel would leave it. Bounds-checked: a truncated or garbled
// archive, or one without the entry, throws strato::Error saying what and at which offset.
std::string ExtractConfigFromArchive(const std::string& archive);

// ExtractConfigFromArchive + ParseGuestConfig.
GuestConfig ReadConfigArchive(const std::string& archive);

}  // namespace strato::guest
