#pragma once
// Where an image's files live: an OCI image layout directory, or a tar archive of one (or of a
// `docker save` image). Both answer "where are the bytes of member X" as a byte range of a host
// file, so layers can be streamed straight from the archive without extracting it.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace strato::oci {

// A byte range of a host file holding one blob (the whole file for a layout directory).
struct BlobRef {
  std::string file;
  uint64_t offset = 0;
  uint64_t size = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Looks up a member by its path relative to the layout root ("index.json",
  // "blobs/sha256/<hex>"). The path must already be validated with ValidateMemberPath().
  virtual std::optional<BlobRef> Find(const std::string& relative_path) const = 0;
  // "image layout /path" or "image archive /path.tar", for error messages.
  virtual std::string Describe() const = 0;
};

// Rejects absolute paths, empty components, "." and ".." components and NUL bytes; returns the
// path with any leading "./" removed. Throws SpecError naming `json_path`.
std::string ValidateMemberPath(const std::string& path, const std::string& json_path);

// Opens `path` as a layout directory or, if it is a regular file, as a tar archive (indexing its
// members once). Throws strato::Error naming the path and the problem.
std::unique_ptr<BlobStore> OpenBlobStore(const std::string& path);

// Reads a whole blob (at most `max_size` bytes, else an error naming `what`).
std::string ReadBlob(const BlobRef& ref, uint64_t max_size, const std::string& what);

// Streams the blob through sha256 and compares with `expected_hex`; throws naming `what` on a
// mismatch or a short read.
void VerifyBlobSha256(const BlobRef& ref, const std::string& expected_hex, const std::string& what);

}  // namespace strato::oci
