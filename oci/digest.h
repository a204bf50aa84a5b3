#pragma once
// OCI content digests ("sha256:<64 lower-case hex>", image-spec descriptor.md "Digests").
// strato verifies sha256 only; other registered algorithms are reported as unsupported.

#include <string>

namespace strato::oci {

struct Digest {
  std::string algorithm;  // "sha256"
  std::string hex;        // 64 lower-case hex digits

  std::string str() const { return algorithm + ":" + hex; }
  // "blobs/sha256/<hex>": the blob's path inside an image layout (image-layout.md).
  std::string BlobPath() const { return "blobs/" + algorithm + "/" + hex; }
};

// Parses and validates a digest string; throws SpecError at `json_path` naming the problem.
Digest ParseDigest(const std::string& text, const std::string& json_path);

}  // namespace strato::oci
