#include "rootfs/whiteout.h"

namespace strato::rootfs {

namespace {
constexpr std::string_view kTrustedOverlay = "trusted.overlay.";
constexpr std::string_view kUserOverlay = "user.overlay.";

std::string_view Prefix(OverlayXattrNamespace ns) {
  return ns == OverlayXattrNamespace::kUser ? kUserOverlay : kTrustedOverlay;
}
}  // namespace

WhiteoutKind ClassifyWhiteout(std::string_view name, std::string* target) {
  if (!name.starts_with(kWhiteoutPrefix)) return WhiteoutKind::kNone;
  if (name == kOpaqueMarker) return WhiteoutKind::kOpaque;
  if (name.starts_with(kWhiteoutMetaPrefix)) return WhiteoutKind::kMeta;
  std::string_view rest = name.substr(kWhiteoutPrefix.size());
  if (rest.empty() || rest == "." || rest == "..") return WhiteoutKind::kMeta;
  *target = std::string(rest);
  return WhiteoutKind::kFile;
}

std::string OverlayOpaqueXattr(OverlayXattrNamespace ns) {
  return std::string(Prefix(ns)) + "opaque";
}

std::string OverlayOriginXattr(OverlayXattrNamespace ns) {
  return std::string(Prefix(ns)) + "origin";
}

bool IsOverlayControlXattr(std::string_view name) {
  return name.starts_with(kTrustedOverlay) || name.starts_with(kUserOverlay);
}

}  // namespace strato::rootfs
