#include "runtime/image_launch.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "common/error.h"
#include "guest/config/disk_serial.h"
#include "rootfs/layer_cache.h"

namespace strato::runtime {
namespace {

using nlohmann::json;

// The PATH a container gets when its image sets none (the OCI/Docker default).
constexpr const char* kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr const char* kTerminalType = "TERM=xterm";

json Mount(const char* destination, const char* type, const char* source,
           std::vector<std::string> options) {
  return json{{"destination", destination},
              {"type", type},
              {"source", source},
              {"options", std::move(options)}};
}

// The mounts containerd's default spec gives a Linux container; cgroup is the unified hierarchy.
json DefaultMounts() {
  return json::array({
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/sys/fs/cgroup", "cgroup2", "cgroup2",
            {"nosuid", "noexec", "nodev", "relatime", "ro"}),
  });
}

std::string EnvKey(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

// Image env, then the overrides by key (replacing in place, else appended).
std::vector<std::string> MergedEnv(const oci::ImageConfig& image, const ImageRunOptions& options) {
  std::vector<std::string> env = image.env;
  auto set = [&env](const std::string& entry) {
    for (std::string& existing : env) {
      if (EnvKey(existing) == EnvKey(entry)) {
        existing = entry;
        return;
      }
    }
    env.push_back(entry);
  };
  bool has_path = false;
  for (const std::string& entry : env) has_path = has_path || EnvKey(entry) == "PATH";
  if (!has_path) set(kDefaultPath);
  if (options.tty) set(kTerminalType);
  for (const std::string& entry : options.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      throw Error("--env \"" + entry + "\": expected KEY=VALUE");
    }
    set(entry);
  }
  return env;
}

std::optional<uint32_t> ParseId(std::string_view text) {
  uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::pair<uint32_t, uint32_t> ParseNumericUser(const std::string& user) {
  size_t colon = user.find(':');
  std::optional<uint32_t> uid = ParseId(std::string_view(user).substr(0, colon));
  std::optional<uint32_t> gid =
      colon == std::string::npos ? uid : ParseId(std::string_view(user).substr(colon + 1));
  if (!uid || !gid) {
    throw Error("user \"" + user +
                "\": only a numeric UID or UID:GID is supported (user names would need the "
                "image's /etc/passwd)");
  }
  return {*uid, *gid};
}

json RuntimeSpecForImage(const oci::ImageConfig& image, const ImageRunOptions& options) {
  std::vector<std::string> args = image.entrypoint;
  const std::vector<std::string>& cmd = options.command.empty() ? image.cmd : options.command;
  args.insert(args.end(), cmd.begin(), cmd.end());
  if (args.empty()) {
    throw Error("image " + options.image +
                " has no Entrypoint or Cmd: give the command after \"--\"");
  }
  std::string cwd = options.workdir.value_or(image.working_dir);
  if (cwd.empty()) cwd = "/";
  if (cwd.front() != '/') throw Error("working directory \"" + cwd + "\" is not absolute");
  std::string user = options.user.value_or(image.user);
  auto [uid, gid] = user.empty() ? std::pair<uint32_t, uint32_t>{0, 0} : ParseNumericUser(user);

  return json{
      {"ociVersion", "1.1.0"},
      {"root", {{"path", "rootfs"}}},
      {"hostname", options.hostname},
      {"process",
       {{"terminal", options.tty},
        {"user", {{"uid", uid}, {"gid", gid}}},
        {"args", args},
        {"env", MergedEnv(image, options)},
        {"cwd", cwd}}},
      {"mounts", DefaultMounts()},
      {"linux", json::object()},
  };
}

ContainerLaunch PrepareImageLaunch(const ImageRunOptions& options) {
  // Layer blobs are checked against their digests while converting (and not again on a cache
  // hit: the cache is keyed by digest).
  oci::Image image =
      oci::OpenImage(options.image, {.ref = options.ref, .verify_layer_blobs = false});
  ContainerLaunch launch;
  launch.id = options.id;
  launch.state_dir = options.state_dir;
  launch.resources = options.resources;
  launch.config = guest::MakeGuestConfig(RuntimeSpecForImage(image.config, options).dump());
  launch.config.hostname = options.hostname;
  launch.config.files = {
      {"/etc/hostname", options.hostname + "\n", 0644},
      {"/etc/hosts",
       "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" +
           options.hostname + "\n",
       0644},
  };
  if (image.layers.size() > guest::kMaxLayers) {
    throw Error("image " + options.image + " has " + std::to_string(image.layers.size()) +
                " layers; at most " + std::to_string(guest::kMaxLayers) + " are supported");
  }
  rootfs::LayerCache cache(options.layer_cache_dir.empty() ? rootfs::LayerCache::DefaultDir()
                                                           : options.layer_cache_dir);
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const oci::ImageLayer& layer = image.layers[i];
    rootfs::LayerSource source = rootfs::LayerSource::TarRange(
        layer.blob.file, layer.blob.offset, layer.blob.size, layer.media_type, layer.digest,
        layer.diff_id, /*verify=*/true);
    if (options.check_cancel) options.check_cancel();
    rootfs::ConvertOptions convert;
    if (options.check_cancel) {
      convert.progress = [&options](const rootfs::ConvertProgress&) { options.check_cancel(); };
    }
    rootfs::CachedLayer cached;
    try {
      cached = cache.GetOrConvert(source, convert);
    } catch (const Cancelled&) {
      throw;
    } catch (const Error& e) {
      throw Error("image " + options.image + ": layer " + std::to_string(i) + " (" + layer.digest +
                  "): " + e.what());
    }
    spdlog::debug("layer {} {}: {}{}", i, layer.digest, cached.path,
                  cached.converted ? " (converted)" : " (cached)");
    launch.layer_images.push_back(cached.path);
    launch.config.layers.push_back({guest::LayerDiskSerial(i, layer.digest), layer.digest});
  }
  return launch;
}

}  // namespace strato::runtime
