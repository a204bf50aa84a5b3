#include "oci/tar_index.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "rootfs/tar/pax.h"
#include "rootfs/tar/tar_header.h"

namespace strato::oci {

namespace {

// Names and PAX records larger than this are refused (a guard against absurd allocations).
constexpr uint64_t kMaxMetaSize = 1 << 20;

using rootfs::tar::HeaderBlock;
using rootfs::tar::kBlockSize;

bool Indexable(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (name.compare(start, end - start, "..") == 0 && end - start == 2) return false;
    start = end + 1;
  }
  return true;
}

bool IsRegular(char type) {
  namespace t = rootfs::tar;
  return type == t::kTypeRegular || type == t::kTypeRegularOld || type == t::kTypeContiguous;
}

}  // namespace

std::map<std::string, TarMember> IndexTarArchive(const std::string& path) {
  UniqueFd fd = OpenOrThrow(path, O_RDONLY);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) ThrowErrno("stat " + path);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  auto fail = [&](uint64_t offset, const std::string& why) -> void {
    throw Error("image archive " + path + ": header at offset " + std::to_string(offset) + ": " +
                why);
  };
  auto read_at = [&](uint64_t offset, void* buf, size_t len) {
    if (PreadFull(fd.get(), buf, len, offset, "read " + path) != len) fail(offset, "truncated");
  };

  std::map<std::string, TarMember> members;
  std::string long_name;
  uint64_t offset = 0;
  if (file_size < kBlockSize)
    throw Error("image archive " + path + ": not a tar archive (too short)");
  while (offset + kBlockSize <= file_size) {
    std::array<uint8_t, kBlockSize> block;
    read_at(offset, block.data(), kBlockSize);
    const HeaderBlock header(block.data());
    if (header.IsAllZero()) break;  // end-of-archive marker
    if (!header.ChecksumMatches()) {
      fail(offset, offset == 0 ? "not a tar archive (bad header checksum)" : "bad header checksum");
    }
    uint64_t size = 0;
    try {
      size = header.Number(rootfs::tar::kSize, "size", UINT64_MAX);
    } catch (const Error& e) {
      fail(offset, e.what());
    }
    const uint64_t data_offset = offset + kBlockSize;
    if (size > file_size - data_offset) {
      fail(offset, "entry size " + std::to_string(size) + " runs past end of file");
    }
    const char type = header.Typeflag();
    if (type == rootfs::tar::kTypeGnuLongName || type == rootfs::tar::kTypePaxExtended) {
      if (size > kMaxMetaSize) fail(offset, "extended header too large");
      std::string data(size, '\0');
      read_at(data_offset, data.data(), size);
      if (type == rootfs::tar::kTypeGnuLongName) {
        long_name = data.substr(0, data.find('\0'));  // GNU pads the name with NULs
      } else {
        std::vector<rootfs::tar::PaxRecord> records;
        try {
          records = rootfs::tar::ParsePaxRecords(data);
        } catch (const Error& e) {
          fail(offset, e.what());
        }
        for (const auto& record : records) {
          if (record.key == "path") long_name = record.value;
        }
      }
    } else if (type != rootfs::tar::kTypePaxGlobal) {
      std::string name = long_name.empty() ? header.Path() : long_name;
      long_name.clear();
      while (name.starts_with("./")) name.erase(0, 2);
      if (IsRegular(type) && Indexable(name)) {
        members[name] = TarMember{data_offset, size};
      }
    }
    offset = data_offset + (size + kBlockSize - 1) / kBlockSize * kBlockSize;
  }
  // Ending without the zero blocks is tolerated (as GNU tar does); ending inside a header is not.
  if (offset < file_size && file_size - offset < kBlockSize) fail(offset, "truncated");
  return members;
}

}  // namespace strato::oci
