#include "oci/blob_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "common/error.h"
#include "common/file_util.h"
#include "common/sha256.h"
#include "oci/json_reader.h"
#include "oci/tar_index.h"

namespace strato::oci {

namespace {

class DirectoryBlobStore : public BlobStore {
 public:
  explicit DirectoryBlobStore(std::string root) : root_(std::move(root)) {}

  std::optional<BlobRef> Find(const std::string& relative_path) const override {
    std::string full = root_ + "/" + relative_path;
    struct stat st {};
    // lstat: a symlink inside the layout could point anywhere on the host; blobs must be files.
    if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return BlobRef{full, 0, static_cast<uint64_t>(st.st_size)};
  }

  std::string Describe() const override { return "image layout " + root_; }

 private:
  std::string root_;
};

class TarBlobStore : public BlobStore {
 public:
  TarBlobStore(std::string archive, std::map<std::string, TarMember> members)
      : archive_(std::move(archive)), members_(std::move(members)) {}

  std::optional<BlobRef> Find(const std::string& relative_path) const override {
    auto it = members_.find(relative_path);
    if (it == members_.end()) return std::nullopt;
    return BlobRef{archive_, it->second.data_offset, it->second.size};
  }

  std::string Describe() const override { return "image archive " + archive_; }

 private:
  std::string archive_;
  std::map<std::string, TarMember> members_;
};

}  // namespace

std::string ValidateMemberPath(const std::string& path, const std::string& json_path) {
  std::string p = path;
  while (p.starts_with("./")) p.erase(0, 2);
  auto bad = [&](const std::string& why) {
    throw SpecError(json_path, "unsafe path \"" + path + "\": " + why);
  };
  if (p.empty()) bad("empty");
  if (p[0] == '/') bad("absolute");
  if (p.find('\0') != std::string::npos) bad("contains NUL");
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    if (end == std::string::npos) end = p.size();
    std::string component = p.substr(start, end - start);
    if (component.empty() || component == "." || component == "..") {
      bad("component \"" + component + "\" not allowed");
    }
    start = end + 1;
  }
  return p;
}

std::unique_ptr<BlobStore> OpenBlobStore(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) ThrowErrno("open image " + path);
  if (S_ISDIR(st.st_mode)) return std::make_unique<DirectoryBlobStore>(path);
  if (!S_ISREG(st.st_mode)) {
    throw Error("open image " + path + ": neither a directory nor a tar archive");
  }
  return std::make_unique<TarBlobStore>(path, IndexTarArchive(path));
}

std::string ReadBlob(const BlobRef& ref, uint64_t max_size, const std::string& what) {
  if (ref.size > max_size) {
    throw Error(what + ": " + std::to_string(ref.size) + " bytes, more than the " +
                std::to_string(max_size) + " allowed");
  }
  UniqueFd fd = OpenOrThrow(ref.file, O_RDONLY);
  std::string out(ref.size, '\0');
  if (PreadFull(fd.get(), out.data(), out.size(), ref.offset, "read " + what) != out.size()) {
    throw Error(what + ": truncated (" + ref.file + " ended early)");
  }
  return out;
}

void VerifyBlobSha256(const BlobRef& ref, const std::string& expected_hex,
                      const std::string& what) {
  UniqueFd fd = OpenOrThrow(ref.file, O_RDONLY);
  Sha256 hash;
  std::vector<uint8_t> buf(1 << 20);
  uint64_t done = 0;
  while (done < ref.size) {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), ref.size - done));
    if (PreadFull(fd.get(), buf.data(), want, ref.offset + done, "read " + what) != want) {
      throw Error(what + ": truncated (" + ref.file + " ended early)");
    }
    hash.Update(std::span<const uint8_t>(buf.data(), want));
    done += want;
  }
  std::string actual = hash.FinalHex();
  if (actual != expected_hex) {
    throw Error(what + ": digest mismatch: expected sha256:" + expected_hex +
                ", content is sha256:" + actual);
  }
}

}  // namespace strato::oci
