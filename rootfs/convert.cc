#include "rootfs/convert.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "rootfs/dir_source.h"
#include "rootfs/erofs/format.h"
#include "rootfs/erofs/image_writer.h"
#include "rootfs/tar/byte_source.h"

namespace strato::rootfs {

namespace {

// The UUID namespace string: the image UUID is the first 16 bytes of
// sha256("strato-erofs:" + digest), marked as an RFC 4122 name-based UUID.
constexpr char kUuidSeedPrefix[] = "strato-erofs:";
constexpr uint8_t kUuidVersionNameBased = 0x50;  // version 5 in the high nibble of byte 6
constexpr uint8_t kUuidVariantRfc4122 = 0x80;    // variant bits 10 in byte 8

std::array<uint8_t, 16> UuidFromDigest(const std::string& digest) {
  Sha256 h;
  h.Update(std::string(kUuidSeedPrefix) + digest);
  Sha256::Digest d = h.Final();
  std::array<uint8_t, 16> uuid{};
  std::copy(d.begin(), d.begin() + 16, uuid.begin());
  uuid[6] = static_cast<uint8_t>((uuid[6] & 0x0f) | kUuidVersionNameBased);
  uuid[8] = static_cast<uint8_t>((uuid[8] & 0x3f) | kUuidVariantRfc4122);
  return uuid;
}

uint64_t LimitOf(const ConvertOptions& options) {
  return options.max_tar_bytes == 0 ? UINT64_MAX : options.max_tar_bytes;
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Shared by all sources: the tree, the output and the data writer, and the finishing steps.
struct Conversion {
  Conversion(int fd, const std::string& scratch_dir, const ConvertOptions& opts)
      : out(fd, erofs::kBlockSize),
        data(out, scratch_dir),
        builder(tree, opts.overlay_xattrs),
        options(opts),
        start(std::chrono::steady_clock::now()) {}

  ConvertResult Finish(const std::string& digest) {
    erofs::ImageStats stats = erofs::WriteImageMetadata(tree, data, out, UuidFromDigest(digest));
    ConvertResult r;
    r.entries = counters.entries;
    r.regular_files = stats.regular_files;
    r.directories = stats.directories;
    r.symlinks = stats.symlinks;
    r.special_files = stats.special_files;
    r.hardlinks = counters.hardlinks;
    r.whiteouts = builder.whiteouts();
    r.dropped_xattrs = counters.dropped_xattrs;
    r.data_bytes = counters.data_bytes;
    r.image_bytes = stats.image_bytes;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }

  FsTree tree;
  erofs::ImageOutput out;
  erofs::FileDataWriter data;
  LayerBuilder builder;
  SourceCounters counters;
  const ConvertOptions& options;
  std::chrono::steady_clock::time_point start;
};

}  // namespace

LayerSource LayerSource::Tar(std::string path, std::string media_type, std::string digest) {
  LayerSource s;
  s.kind = Kind::kTar;
  s.path = std::move(path);
  s.media_type = std::move(media_type);
  s.digest = std::move(digest);
  return s;
}

LayerSource LayerSource::Directory(std::string path) {
  LayerSource s;
  s.kind = Kind::kDirectory;
  s.path = std::move(path);
  return s;
}

ConvertResult ConvertLayerToFd(const LayerSource& source, int fd, const std::string& scratch_dir,
                               const ConvertOptions& options) {
  Conversion c(fd, scratch_dir, options);
  ConvertProgress progress;
  if (source.kind == LayerSource::Kind::kDirectory) {
    std::function<void()> on_entry;
    if (options.progress) {
      on_entry = [&] {
        progress.entries = c.counters.entries;
        progress.input_done = c.counters.data_bytes;
        options.progress(progress);
      };
    }
    AddDirectoryLayer(source.path, c.tree, c.data, &c.counters, on_entry);
    ConvertResult r = c.Finish(source.digest);
    r.input_bytes = r.data_bytes;
    return r;
  }
  UniqueFd in = OpenOrThrow(source.path, O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (::fstat(in.get(), &st) != 0) ThrowErrno("stat " + source.path);
  if (!S_ISREG(st.st_mode)) throw Error(source.path + ": not a regular file");
  ::posix_fadvise(in.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  FdSource raw(in.get());
  std::unique_ptr<ByteSource> stream = OpenTarStream(raw, source.media_type, source.path);
  LimitedSource limited(*stream, LimitOf(options));
  TarReader reader(limited);
  progress.input_total = static_cast<uint64_t>(st.st_size);
  std::function<void()> on_entry;
  if (options.progress) {
    on_entry = [&] {
      progress.entries = c.counters.entries;
      progress.input_done = raw.bytes_read();
      options.progress(progress);
    };
  }
  try {
    AddTarLayer(reader, c.builder, c.data, &c.counters, on_entry);
  } catch (const Error& e) {
    throw Error(source.path + ": " + e.what());
  }
  ConvertResult r = c.Finish(source.digest);
  r.input_bytes = raw.bytes_read();
  return r;
}

ConvertResult ConvertTarBytes(const uint8_t* tar, size_t size, int fd,
                              const std::string& scratch_dir, const std::string& digest,
                              const ConvertOptions& options) {
  Conversion c(fd, scratch_dir, options);
  MemorySource raw(tar, size);
  std::unique_ptr<ByteSource> stream = OpenTarStream(raw, "", "tar");
  LimitedSource limited(*stream, LimitOf(options));
  TarReader reader(limited);
  AddTarLayer(reader, c.builder, c.data, &c.counters, {});
  ConvertResult r = c.Finish(digest);
  r.input_bytes = size;
  return r;
}

ConvertResult ConvertLayer(const LayerSource& source, const std::string& output_path,
                           const ConvertOptions& options) {
  std::string dir = DirName(output_path);
  // Unique per process and call: concurrent conversions never share a temporary.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = output_path + ".tmp." + std::to_string(::getpid()) + "." +
                    std::to_string(counter.fetch_add(1));
  UniqueFd fd = OpenOrThrow(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  try {
    ConvertResult r = ConvertLayerToFd(source, fd.get(), dir, options);
    if (::fsync(fd.get()) != 0) ThrowErrno("fsync " + tmp);
    fd.reset();
    if (::rename(tmp.c_str(), output_path.c_str()) != 0) ThrowErrno("rename to " + output_path);
    UniqueFd dfd = OpenOrThrow(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ::fsync(dfd.get());
    return r;
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

}  // namespace strato::rootfs
