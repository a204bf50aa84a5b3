#pragma once
// The per-container guest configuration: what strato-init needs to build and start one container
// inside the VM. The host writes it into the per-container initramfs archive as
// /strato/config.json (guest/config/config_archive.h); strato-init reads it at boot. Schema and
// limits: docs/guest-init.md. Both sides share this file so the format has one definition.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/runtime_spec.h"

namespace strato::guest {

// Path of the config inside the initramfs (and so inside the guest's initial root).
inline constexpr const char* kGuestConfigPath = "/strato/config.json";
// Version of the schema below; a reader refuses any other.
inline constexpr uint32_t kGuestConfigVersion = 1;

// Limits the reader enforces (the config is input from the host, but a bounded reader keeps a
// broken host from turning into a guest hang or an out-of-memory boot).
inline constexpr size_t kMaxConfigBytes = 16u << 20;
// overlayfs in Linux 6.1 stacks at most 500 lower layers (OVL_MAX_STACK); OCI images rarely
// exceed 127 (the Docker limit), which also keeps the overlay mount options below one page.
inline constexpr size_t kMaxLayers = 127;
inline constexpr size_t kMaxCopiedFiles = 64;
inline constexpr size_t kMaxCopiedFileBytes = 1u << 20;
inline constexpr uint64_t kDefaultUpperTmpfsBytes = 256ull << 20;

// One read-only image layer, attached as its own virtio-blk disk.
struct LayerDisk {
  std::string serial;  // virtio-blk serial (guest/config/disk_serial.h)
  std::string digest;  // "sha256:..." of the layer (informational, for logs)
};

// Where the overlay's writable upper directory lives.
struct UpperConfig {
  uint64_t tmpfs_size_bytes = kDefaultUpperTmpfsBytes;
  // When set and a disk with this serial is attached, its ext4 filesystem holds the upper dir;
  // when the disk is absent the tmpfs is used and a warning logged.
  std::optional<std::string> scratch_disk_serial;
};

// A small host file copied into the container (/etc/hosts, /etc/resolv.conf, /etc/hostname): a
// host path cannot be bind-mounted into a VM, so its contents travel in the config and strato-init
// bind-mounts a copy at `path`.
struct CopiedFile {
  std::string path;  // absolute path inside the container
  std::string contents;
  uint32_t mode = 0644;
};

struct GuestConfig {
  std::vector<LayerDisk> layers;  // bottom to top, as in the image manifest
  UpperConfig upper;
  std::string hostname;  // overrides spec.hostname when not empty
  std::vector<CopiedFile> files;
  oci::RuntimeSpec spec;  // must have a process
  std::string spec_json;  // the spec as JSON text (what `spec` was parsed from)

  // The hostname the container gets: `hostname`, else spec.hostname.
  const std::string& EffectiveHostname() const {
    return hostname.empty() ? spec.hostname : hostname;
  }
};

// JSON text of the config (deterministic: same config -> same bytes). Validates first (the same
// rules as the reader), so a host never writes a config the guest would reject.
std::string SerializeGuestConfig(const GuestConfig& config);

// Parses and validates config text. Throws oci::SpecError whose message starts with the JSON path
// of the problem ("strato.layers[1].serial: ...").
GuestConfig ParseGuestConfig(const std::string& json_text);

// Builds a config from OCI config.json text (validated with oci::ParseRuntimeSpec).
GuestConfig MakeGuestConfig(const std::string& runtime_spec_json);

}  // namespace strato::guest
