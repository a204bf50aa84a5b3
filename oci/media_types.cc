#include "oci/media_types.h"

#include <array>
#include <string_view>
#include <utility>

namespace strato::oci {

bool IsIndexMediaType(const std::string& m) {
  return m == kMediaTypeOciIndex || m == kMediaTypeDockerManifestList;
}

bool IsManifestMediaType(const std::string& m) {
  return m == kMediaTypeOciManifest || m == kMediaTypeDockerManifest;
}

bool IsConfigMediaType(const std::string& m) {
  return m == kMediaTypeOciConfig || m == kMediaTypeDockerConfig;
}

std::optional<LayerFormat> LayerFormatOf(const std::string& media_type) {
  static constexpr std::array<std::pair<std::string_view, LayerFormat>, 13> kLayerTypes = {{
      {"application/vnd.oci.image.layer.v1.tar", LayerFormat::kTar},
      {"application/vnd.oci.image.layer.v1.tar+gzip", LayerFormat::kTarGzip},
      {"application/vnd.oci.image.layer.v1.tar+zstd", LayerFormat::kTarZstd},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar", LayerFormat::kTar},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", LayerFormat::kTarGzip},
      {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", LayerFormat::kTarZstd},
      {"application/vnd.docker.image.rootfs.diff.tar", LayerFormat::kTar},
      {"application/vnd.docker.image.rootfs.diff.tar.gzip", LayerFormat::kTarGzip},
      {"application/vnd.docker.image.rootfs.diff.tar.zstd", LayerFormat::kTarZstd},
      {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", LayerFormat::kTarGzip},
      // EROFS layer images, as produced by erofs-aware tooling (containerd's EROFS differ).
      {"application/vnd.erofs", LayerFormat::kErofs},
      {"application/vnd.erofs.layer.v1", LayerFormat::kErofs},
      {"application/vnd.oci.image.layer.v1.erofs", LayerFormat::kErofs},
  }};
  for (const auto& [type, format] : kLayerTypes) {
    if (type == media_type) return format;
  }
  return std::nullopt;
}

const char* LayerFormatName(LayerFormat format) {
  switch (format) {
    case LayerFormat::kTar:
      return "tar";
    case LayerFormat::kTarGzip:
      return "tar+gzip";
    case LayerFormat::kTarZstd:
      return "tar+zstd";
    case LayerFormat::kErofs:
      return "erofs";
  }
  return "?";
}

}  // namespace strato::oci
