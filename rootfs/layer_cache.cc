#include "rootfs/layer_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/paths.h"
#include "common/sha256.h"
#include "rootfs/tar/layer_format.h"

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

// The blob a tar source names: [offset, offset + length) of its file.
struct BlobRange {
  UniqueFd fd;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool whole_file = false;
};

BlobRange OpenBlob(const LayerSource& source) {
  BlobRange b;
  b.fd = OpenOrThrow(source.path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (::fstat(b.fd.get(), &st) != 0) ThrowErrno("stat " + source.path);
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (source.offset > size) throw Error(source.path + ": layer offset past the end of the file");
  b.offset = source.offset;
  b.length = source.length.value_or(size - source.offset);
  if (b.length > size - source.offset) {
    throw Error(source.path + ": layer blob of " + std::to_string(b.length) + " bytes at offset " +
                std::to_string(source.offset) + " runs past the end of the file (file shorter " +
                "than its descriptor)");
  }
  b.whole_file = b.offset == 0 && b.length == size;
  return b;
}

std::string HashBlob(const BlobRange& b) {
  FdSource raw(b.fd.get(), b.offset, b.length);
  HashingSource hashed(raw);
  return hashed.DrainAndDigest();
}

// Copies an EROFS blob that sits inside a larger file (an image archive member) into the cache,
// verifying its digest on the way when asked; tmp + fsync + rename like conversions.
void CopyBlob(const BlobRange& b, const LayerSource& source, const std::string& dest) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp =
      dest + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  UniqueFd out = OpenOrThrow(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  try {
    FdSource raw(b.fd.get(), b.offset, b.length);
    HashingSource hashed(raw);
    std::vector<uint8_t> buf(1 << 20);
    for (size_t n; (n = hashed.Read(buf.data(), buf.size())) > 0;) {
      for (size_t done = 0; done < n;) {
        ssize_t w = ::write(out.get(), buf.data() + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) ThrowErrno("write " + tmp);
        done += static_cast<size_t>(w);
      }
    }
    std::string got = hashed.DrainAndDigest();
    if (source.verify && !source.digest.empty() && got != source.digest) {
      throw Error(source.path + ": EROFS layer blob has digest " + got + ", expected " +
                  source.digest);
    }
    if (::fsync(out.get()) != 0) ThrowErrno("fsync " + tmp);
    out.reset();
    if (::rename(tmp.c_str(), dest.c_str()) != 0) ThrowErrno("rename to " + dest);
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
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
    key = "sha256-" + HashBlob(OpenBlob(source)).substr(7);
  }
  if (options.overlay_xattrs == OverlayXattrNamespace::kUser) key += kUserXattrSuffix;
  return key;
}

CachedLayer LayerCache::GetOrConvert(const LayerSource& source, const ConvertOptions& options) {
  CachedLayer out;
  bool erofs_blob = false;
  if (source.kind == LayerSource::Kind::kTar) {
    BlobRange blob = OpenBlob(source);
    erofs_blob = DetectLayerFormat(blob.fd.get(), blob.offset, blob.length, source.path) ==
                 LayerFormat::kErofs;
    if (erofs_blob && blob.whole_file) {
      // Already an image file: attach it as it is.
      if (source.verify && !source.digest.empty() && HashBlob(blob) != source.digest) {
        throw Error(source.path + ": EROFS layer does not match its digest " + source.digest);
      }
      out.path = source.path;
      out.passthrough = true;
      return out;
    }
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
  if (erofs_blob) {
    // An EROFS layer inside an image archive: copied out once so it can be attached.
    CopyBlob(OpenBlob(source), source, out.path);
    out.passthrough = true;
    return out;
  }
  out.result = ConvertLayer(source, out.path, options);
  out.converted = true;
  return out;
}

}  // namespace strato::rootfs
