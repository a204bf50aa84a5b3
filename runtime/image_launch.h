#pragma once
// `strato run IMAGE [-- CMD...]` -> a ContainerLaunch: opens the OCI image (layout directory or
// archive), converts its layers to EROFS through the layer cache, names their disks by serial and
// builds the runtime spec the guest init applies from the image config (Entrypoint + Cmd, Env,
// WorkingDir, User) and the command-line overrides, as `docker run` does:
//   - a command after `--` replaces Cmd, the Entrypoint stays;
//   - --env KEY=VALUE replaces the image's KEY or adds it; PATH gets a default when the image
//     has none; TERM=xterm with a terminal;
//   - --workdir replaces WorkingDir (default "/"); --user replaces User ("UID[:GID]", numeric:
//     there is no /etc/passwd lookup on the host).
// Mounts: proc, /dev tmpfs, devpts, /dev/shm, mqueue, sysfs (ro), cgroup2 (ro). Files: /etc/hosts
// and /etc/hostname for the container's hostname.

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "oci/image.h"
#include "runtime/container_launch.h"

namespace strato::runtime {

// The hostname of `strato run` containers unless one is given.
inline constexpr const char* kDefaultRunHostname = "strato";

struct ImageRunOptions {
  std::string image;                 // OCI layout directory, OCI archive or docker-save archive
  std::string ref;                   // manifest to pick (oci::ImageOpenOptions::ref)
  std::vector<std::string> command;  // after `--`; empty: the image's Cmd
  std::vector<std::string> env;      // KEY=VALUE overrides
  std::optional<std::string> workdir;
  std::optional<std::string> user;  // "UID[:GID]"
  bool tty = false;
  std::string hostname = kDefaultRunHostname;
  std::string layer_cache_dir;  // empty: rootfs::LayerCache::DefaultDir()
  std::string id;
  std::string state_dir;
  VmResources resources;
  // Runs before each layer and during conversions; throws to abandon the preparation (Ctrl-C).
  std::function<void()> check_cancel;
};

// The OCI runtime spec (config.json) for a container of `image` run with `options`. Throws
// strato::Error for an image without a command, a relative workdir, a malformed user or env.
nlohmann::json RuntimeSpecForImage(const oci::ImageConfig& image, const ImageRunOptions& options);

// Parses "UID" or "UID:GID" (decimal); a missing GID is the UID's. Throws strato::Error for names
// or garbage.
std::pair<uint32_t, uint32_t> ParseNumericUser(const std::string& user);

// Opens, converts and maps the image. Errors (strato::Error) name the image and the layer.
ContainerLaunch PrepareImageLaunch(const ImageRunOptions& options);

}  // namespace strato::runtime
