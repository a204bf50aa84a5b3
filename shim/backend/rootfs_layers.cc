#include "shim/backend/rootfs_layers.h"

#include <dirent.h>

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/sha256.h"

namespace strato::shim {

namespace {

constexpr const char* kLowerDirOption = "lowerdir=";
constexpr const char* kUpperDirOption = "upperdir=";
constexpr const char* kUserXattrOption = "userxattr";
constexpr const char* kSha256Prefix = "sha256:";
constexpr const char* kDefaultRootfsDir = "rootfs";  // OCI bundle convention

std::string Describe(const RootfsMount& m) {
  return "rootfs mount (type \"" + m.type + "\", source \"" + m.source + "\")";
}

bool StartsWith(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

bool HasOption(const RootfsMount& m, const std::string& name) {
  return std::find(m.options.begin(), m.options.end(), name) != m.options.end();
}

void RequireAbsolute(const std::string& path, const RootfsMount& m, const std::string& what) {
  if (path.empty() || path[0] != '/') {
    throw Error(Describe(m) + ": " + what + " \"" + path + "\" is not an absolute path");
  }
}

// overlayfs's lowerdir list: top layer first, separated by ':' (a literal ':' is escaped as
// "\:", see Documentation/filesystems/overlayfs.rst "Multiple lower layers").
std::vector<std::string> SplitLowerDirs(const std::string& value) {
  std::vector<std::string> dirs;
  std::string current;
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) {
      current += value[++i];
    } else if (value[i] == ':') {
      dirs.push_back(current);
      current.clear();
    } else {
      current += value[i];
    }
  }
  dirs.push_back(current);
  return dirs;
}

// True when `dir` exists and holds at least one entry.
bool HasEntries(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return false;
  bool any = false;
  while (dirent* e = ::readdir(d)) {
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
      any = true;
      break;
    }
  }
  ::closedir(d);
  return any;
}

void PlanOverlay(const RootfsMount& m, std::vector<RootfsLayerSource>& out) {
  std::string lower;
  std::string upper;
  for (const auto& option : m.options) {
    if (StartsWith(option, kLowerDirOption)) lower = option.substr(std::strlen(kLowerDirOption));
    if (StartsWith(option, kUpperDirOption)) upper = option.substr(std::strlen(kUpperDirOption));
  }
  if (lower.empty()) throw Error(Describe(m) + ": overlay mount without a lowerdir option");
  const bool user_xattrs = HasOption(m, kUserXattrOption);
  std::vector<std::string> dirs = SplitLowerDirs(lower);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {  // bottom layer first
    RequireAbsolute(*it, m, "lowerdir");
    out.push_back({RootfsLayerSource::Kind::kDirectory, *it, user_xattrs});
  }
  if (!upper.empty()) {
    RequireAbsolute(upper, m, "upperdir");
    if (HasEntries(upper)) out.push_back({RootfsLayerSource::Kind::kDirectory, upper, user_xattrs});
  }
}

bool IsBind(const RootfsMount& m) {
  return m.type == "bind" || m.type == "rbind" || HasOption(m, "bind") || HasOption(m, "rbind");
}

}  // namespace

std::vector<RootfsLayerSource> PlanRootfsLayers(const std::vector<RootfsMount>& mounts,
                                                const std::string& bundle,
                                                const std::string& spec_root_path) {
  std::vector<RootfsLayerSource> plan;
  if (mounts.empty()) {
    std::string root = spec_root_path.empty() ? kDefaultRootfsDir : spec_root_path;
    if (root[0] != '/') root = bundle + "/" + root;
    plan.push_back({RootfsLayerSource::Kind::kDirectory, root, false});
    return plan;
  }
  // Each mount adds its layers on top of the previous ones (containerd lists them in order).
  for (const auto& m : mounts) {
    if (m.type == "overlay") {
      PlanOverlay(m, plan);
    } else if (m.type == "erofs") {
      RequireAbsolute(m.source, m, "source");
      plan.push_back({RootfsLayerSource::Kind::kErofsImage, m.source, false});
    } else if (IsBind(m)) {
      RequireAbsolute(m.source, m, "source");
      plan.push_back({RootfsLayerSource::Kind::kDirectory, m.source, false});
    } else {
      throw Error(Describe(m) +
                  ": strato cannot attach this mount type to a VM (supported: overlay from the "
                  "overlayfs snapshotter, erofs images, bind mounts of a directory)");
    }
  }
  return plan;
}

std::vector<RootfsLayerImage> MaterializeRootfsLayers(const std::vector<RootfsLayerSource>& plan,
                                                      rootfs::LayerCache& cache) {
  std::vector<RootfsLayerImage> images;
  for (const auto& layer : plan) {
    if (layer.kind == RootfsLayerSource::Kind::kErofsImage) {
      if (!rootfs::HasErofsMagic(layer.path)) {
        throw Error("rootfs erofs mount source " + layer.path +
                    " is not an EROFS image (no EROFS superblock magic)");
      }
      images.push_back({layer.path, kSha256Prefix + Sha256::HexOf(layer.path)});
      continue;
    }
    rootfs::ConvertOptions options;
    options.overlay_xattrs = layer.user_xattrs ? rootfs::OverlayXattrNamespace::kUser
                                               : rootfs::OverlayXattrNamespace::kTrusted;
    auto source = rootfs::LayerSource::Directory(layer.path);
    std::string key;
    rootfs::CachedLayer cached;
    try {
      key = cache.KeyFor(source, options);
      cached = cache.GetOrConvert(source, options);
    } catch (const Error& e) {
      throw Error("converting rootfs layer " + layer.path + ": " + e.what());
    }
    images.push_back({cached.path, kSha256Prefix + Sha256::HexOf(key)});
  }
  return images;
}

}  // namespace strato::shim
