#pragma once
// Media types of the OCI image spec (media-types.md) and their Docker schema 2 equivalents.

#include <optional>
#include <string>

namespace strato::oci {

inline constexpr const char* kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* kMediaTypeOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr const char* kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr const char* kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr const char* kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";

bool IsIndexMediaType(const std::string& media_type);
bool IsManifestMediaType(const std::string& media_type);
bool IsConfigMediaType(const std::string& media_type);

// How a layer blob is stored.
enum class LayerFormat { kTar, kTarGzip, kTarZstd, kErofs };

// Layer media types: OCI tar, tar+gzip, tar+zstd (and the nondistributable variants), Docker's
// rootfs.diff.tar(.gzip), and EROFS layer images. std::nullopt for anything else.
std::optional<LayerFormat> LayerFormatOf(const std::string& media_type);
const char* LayerFormatName(LayerFormat format);

}  // namespace strato::oci
