#include "rootfs/layer_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "rootfs/tar/byte_source.h"

namespace strato::rootfs {

namespace {

constexpr char kSha256Prefix[] = "sha256:";
constexpr size_t kSha256HexLength = 64;
constexpr char kUserXattrSuffix[] = "-userxattr";

void MakeDirs(const std::string& dir) {
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) ThrowErrno("mkdir " + partial);
  }
}

bool IsLowerHex(const std::string& s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Removes `<image>.tmp.*` files: partial output of a conversion that died. Only called with the
// key's lock held, so no live conversion owns them.
void RemoveStaleTemporaries(const std::string& dir, const std::string& image_name) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  std::string prefix = image_name + ".tmp.";
  std::vector<std::string> stale;
  while (dirent* e = ::readdir(d)) {
    if (std::strncmp(e->d_name, prefix.c_str(), prefix.size()) == 0) stale.push_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& name : stale) ::unlink((dir + "/" + name).c_str());
}

}  // namespace

bool HasErofsMagic(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  return DetectLayerFormat(path) == LayerFormat::kErofs;
}

LayerCache::LayerCache(std::string dir) : dir_(std::move(dir)) {
  while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
  MakeDirs(dir_);
}

std::string LayerCache::DefaultDir() {
  const char* env = std::getenv(paths::kLayerCacheEnv);
  return env != nullptr && *env != '\0' ? env : paths::kDefaultLayerCache;
}

std::string LayerCache::KeyFor(const LayerSource& source, const ConvertOptions& options) const {
  std::string key;
  if (source.kind == LayerSource::Kind::kDirectory) {
    struct stat st {};
    if (::stat(source.path.c_str(), &st) != 0) ThrowErrno("stat " + source.path);
    char* real = ::realpath(source.path.c_str(), nullptr);
    if (real == nullptr) ThrowErrno("realpath " + source.path);
    std::string identity = real;
    std::free(real);
    identity += "\n" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + "\n" +
                std::to_string(st.st_ctim.tv_sec) + "." + std::to_string(st.st_ctim.tv_nsec) +
                "\n" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    key = "dir-" + Sha256::HexOf(identity);
  } else if (!source.digest.empty()) {
    const std::string& d = source.digest;
    if (d.rfind(kSha256Prefix, 0) != 0 || d.size() != 7 + kSha256HexLength ||
        !IsLowerHex(d.substr(7))) {
      throw Error("layer digest \"" + d + "\" is not sha256:<64 lower-case hex digits>");
    }
    key = "sha256-" + d.substr(7);
  } else {
    key = "sha256-" + Sha256File(source.path);
  }
  if (options.overlay_xattrs == OverlayXattrNamespace::kUser) key += kUserXattrSuffix;
  return key;
}

CachedLayer LayerCache::GetOrConvert(const LayerSource& source, const ConvertOptions& options) {
  CachedLayer out;
  if (source.kind == LayerSource::Kind::kTar && HasErofsMagic(source.path)) {
    out.path = source.path;
    out.passthrough = true;
    return out;
  }
  std::string key = KeyFor(source, options);
  out.path = ImagePath(key);
  if (HasErofsMagic(out.path)) return out;

  std::string lock_path = dir_ + "/" + key + ".lock";
  UniqueFd lock = OpenOrThrow(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) ThrowErrno("lock " + lock_path);
  }
  // Another process may have finished the same layer while we waited.
  if (HasErofsMagic(out.path)) return out;
  RemoveStaleTemporaries(dir_, key + ".erofs");
  out.result = ConvertLayer(source, out.path, options);
  out.converted = true;
  return out;
}

}  // namespace strato::rootfs
