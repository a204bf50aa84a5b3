#include "rootfs/initramfs/initramfs_builder.h"

#include <sys/stat.h>

#include <filesystem>
#include <string_view>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"

namespace strato::initramfs {
namespace {

constexpr std::string_view kNewcMagic = "070701";
constexpr size_t kArchiveAlignment = 4;
// Initramfs parts are loaded whole into guest RAM; anything this large is a mistake.
constexpr size_t kMaxArchivePartSize = size_t{1} << 30;
constexpr uint32_t kPermissionMask = 07777;

void CheckArchivePart(const std::string& name, std::string_view bytes) {
  if (bytes.empty()) return;
  if (!bytes.starts_with(kNewcMagic)) {
    throw Error("initramfs part " + name + ": not a newc cpio archive (no 070701 magic)");
  }
  if (bytes.size() % kArchiveAlignment != 0) {
    throw Error("initramfs part " + name + ": length " + std::to_string(bytes.size()) +
                " is not a multiple of 4, the next archive would be misaligned");
  }
}

}  // namespace

std::string BuildArchive(const std::vector<InitramfsEntry>& entries) {
  CpioWriter writer;
  for (const InitramfsEntry& entry : entries) {
    using Kind = InitramfsEntry::Kind;
    switch (entry.kind) {
      case Kind::kDirectory:
        writer.AddDirectory(entry.path, entry.attributes);
        break;
      case Kind::kFile:
        writer.AddFile(entry.path, entry.source, entry.attributes);
        break;
      case Kind::kHostFile: {
        struct stat st {};
        if (::stat(entry.source.c_str(), &st) != 0) {
          ThrowErrno("initramfs entry '" + entry.path + "': stat " + entry.source);
        }
        if (!S_ISREG(st.st_mode)) {
          throw Error("initramfs entry '" + entry.path + "': " + entry.source +
                      " is not a regular file");
        }
        EntryAttributes attributes = entry.attributes;
        attributes.permissions = st.st_mode & kPermissionMask;
        writer.AddFile(entry.path, ReadFile(entry.source, kMaxArchivePartSize), attributes);
        break;
      }
      case Kind::kSymlink:
        writer.AddSymlink(entry.path, entry.source, entry.attributes);
        break;
      case Kind::kCharDevice:
        writer.AddDevice(entry.path, DeviceKind::kCharacter, entry.major, entry.minor,
                         entry.attributes);
        break;
      case Kind::kBlockDevice:
        writer.AddDevice(entry.path, DeviceKind::kBlock, entry.major, entry.minor,
                         entry.attributes);
        break;
    }
  }
  return writer.Finish();
}

std::string WriteCachedArchive(const std::string& cache_dir,
                               const std::vector<InitramfsEntry>& entries) {
  std::string archive = BuildArchive(entries);
  std::string path = cache_dir + "/initramfs-" + Sha256::HexOf(archive) + ".cpio";
  std::error_code ec;
  std::filesystem::create_directories(cache_dir, ec);
  if (ec) throw Error("create initramfs cache " + cache_dir + ": " + ec.message());
  if (!std::filesystem::exists(path)) WriteFileAtomic(path, archive);
  return path;
}

void WriteConcatenatedArchive(const std::string& output_path,
                              const std::vector<std::string>& archive_paths,
                              const std::string& trailing_archive) {
  std::string out;
  for (const std::string& part : archive_paths) {
    std::string bytes = ReadFile(part, kMaxArchivePartSize);
    CheckArchivePart(part, bytes);
    out += bytes;
  }
  CheckArchivePart("(per-container archive)", trailing_archive);
  out += trailing_archive;
  WriteFileAtomic(output_path, out);
}

}  // namespace strato::initramfs
