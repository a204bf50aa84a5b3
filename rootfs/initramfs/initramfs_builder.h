#pragma once
// Builds initramfs images from a list of entries: a base archive (strato-init, test binaries...)
// cached by content, and a small per-container archive concatenated after it. The kernel unpacks
// concatenated newc archives one after the other, so the per-container part can replace or add
// files without rewriting the base.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rootfs/initramfs/cpio_writer.h"

namespace strato::initramfs {

struct InitramfsEntry {
  enum class Kind {
    kDirectory,
    kFile,         // `source` holds the contents
    kHostFile,     // `source` is a host path; permissions come from the host file's mode
    kSymlink,      // `source` is the link target
    kCharDevice,   // `major`/`minor`
    kBlockDevice,  // `major`/`minor`
  };
  Kind kind = Kind::kFile;
  std::string path;  // inside the archive, e.g. "init" or "bin/child"
  std::string source;
  EntryAttributes attributes;
  uint32_t major = 0;
  uint32_t minor = 0;

  static InitramfsEntry Directory(std::string path,
                                  EntryAttributes attributes = {.permissions = 0755}) {
    return {Kind::kDirectory, std::move(path), {}, attributes, 0, 0};
  }
  static InitramfsEntry File(std::string path, std::string contents,
                             EntryAttributes attributes = {}) {
    return {Kind::kFile, std::move(path), std::move(contents), attributes, 0, 0};
  }
  static InitramfsEntry HostFile(std::string path, std::string host_path,
                                 EntryAttributes attributes = {}) {
    return {Kind::kHostFile, std::move(path), std::move(host_path), attributes, 0, 0};
  }
  static InitramfsEntry Symlink(std::string path, std::string target) {
    return {Kind::kSymlink, std::move(path), std::move(target), {.permissions = 0777}, 0, 0};
  }
  static InitramfsEntry Device(Kind kind, std::string path, uint32_t major, uint32_t minor,
                               EntryAttributes attributes = {.permissions = 0600}) {
    return {kind, std::move(path), {}, attributes, major, minor};
  }
};

// The archive bytes for `entries`, in order (missing parents are added by CpioWriter). Throws
// strato::Error naming the entry or host file on any problem.
std::string BuildArchive(const std::vector<InitramfsEntry>& entries);

// Builds the archive and stores it as <cache_dir>/initramfs-<sha256 of the bytes>.cpio unless that
// file already exists; returns its path. Concurrent callers produce the same file atomically.
std::string WriteCachedArchive(const std::string& cache_dir,
                               const std::vector<InitramfsEntry>& entries);

// Writes `output_path` (atomically) as the concatenation of the archive files in `archive_paths`
// followed by `trailing_archive` (bytes, may be empty). Each part must be a newc archive whose
// length is a multiple of 4, otherwise strato::Error names the part.
void WriteConcatenatedArchive(const std::string& output_path,
                              const std::vector<std::string>& archive_paths,
                              const std::string& trailing_archive = {});

}  // namespace strato::initramfs
