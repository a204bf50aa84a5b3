#pragma once
// Builds small OCI image layouts (and tar archives of them) for tests. Layers are opaque bytes:
// the oci module locates and verifies blobs, it does not read layer contents.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strato::testing {

std::string Sha256Digest(const std::string& data);  // "sha256:<hex>"

class TestImage {
 public:
  explicit TestImage(std::string dir);  // created empty; removed by the destructor
  ~TestImage();

  // Stores a blob under blobs/sha256/ and returns its digest.
  std::string AddBlob(const std::string& data);
  nlohmann::json Descriptor(const std::string& media_type, const std::string& data);

  // A single-platform image: layers (uncompressed tar media type), config and manifest, written as
  // blobs; index.json lists the manifest with `platform` and a ref.name annotation.
  void BuildSimple(const std::vector<std::string>& layers, const std::string& arch = "amd64");

  void WriteIndex();   // index.json from index
  void WriteLayout();  // oci-layout

  const std::string& dir() const { return dir_; }
  nlohmann::json config;
  nlohmann::json manifest;
  nlohmann::json index;
  std::string manifest_digest;
  std::string config_digest;

 private:
  std::string dir_;
};

// Writes a ustar archive holding every regular file under `dir` (relative names) to `out`.
void WriteTarOfDirectory(const std::string& dir, const std::string& out);

// A ustar archive from explicit (name, content) members.
std::string MakeTar(const std::vector<std::pair<std::string, std::string>>& members);

}  // namespace strato::testing
