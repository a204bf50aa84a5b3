#pragma once
// An OCI image read from an image layout directory or a tar archive (OCI layout in a tar, or a
// `docker save` archive): the linux/amd64 manifest's layers bottom-to-top with their diffIDs, and
// the parts of the image config that decide how the container runs.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "oci/blob_store.h"
#include "oci/media_types.h"

namespace strato::oci {

struct ImageConfig {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string user;
  std::vector<std::string> env;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string working_dir;
  std::string stop_signal;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids;  // "sha256:...", bottom to top
};

struct ImageLayer {
  std::string digest;   // of the blob as stored ("sha256:...")
  std::string diff_id;  // of the uncompressed tar (equals digest for tar and EROFS layers)
  std::string media_type;
  LayerFormat format = LayerFormat::kTar;
  BlobRef blob;  // where its bytes are
};

struct Image {
  std::string source;           // the path it was opened from
  std::string manifest_digest;  // "sha256:..." ("" for a docker-archive without index.json)
  std::string config_digest;
  ImageConfig config;
  std::vector<ImageLayer> layers;  // bottom to top
};

struct ImageOpenOptions {
  // Select a manifest by its org.opencontainers.image.ref.name annotation (or, in a docker
  // archive, a RepoTags entry). Empty: the only linux/amd64 image, or the first one.
  std::string ref;
  // Hash every layer blob against its digest (and diffID for uncompressed layers) while opening.
  // Callers that convert layers through a content-addressed cache may verify while converting.
  bool verify_layer_blobs = true;
  std::string os = "linux";
  std::string architecture = "amd64";
};

// Opens PATH (directory or tar). Throws strato::Error/SpecError naming the file and the problem:
// corrupt JSON, digest or size mismatch, missing blobs, unsupported media types, unsafe paths, no
// manifest for linux/amd64.
Image OpenImage(const std::string& path, const ImageOpenOptions& options = {});

// Parses an image config JSON document (image-spec config.md); errors name the JSON path.
ImageConfig ParseImageConfig(const std::string& json_text);

}  // namespace strato::oci
