#pragma once
// OCI layer whiteouts (image-spec layer.md "Whiteouts") and their overlayfs form
// (Documentation/filesystems/overlayfs.rst): `.wh.NAME` becomes NAME as a 0:0 character device,
// `.wh..wh..opq` makes its directory opaque through an xattr. The xattr namespace is trusted.*
// by default, or user.* for an overlay mounted with `userxattr`.

#include <string>
#include <string_view>

namespace strato::rootfs {

enum class OverlayXattrNamespace { kTrusted, kUser };

inline constexpr std::string_view kWhiteoutPrefix = ".wh.";
inline constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// Names starting with this are aufs metadata (.wh..wh.plnk, .wh..wh.aufs): never part of the tree.
inline constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";
// Value of the opaque xattr, as overlayfs expects.
inline constexpr std::string_view kOpaqueValue = "y";

enum class WhiteoutKind {
  kNone,    // an ordinary name
  kFile,    // .wh.NAME: hide NAME of the lower layers
  kOpaque,  // .wh..wh..opq: hide the whole lower directory
  kMeta,    // other .wh..wh.* aufs metadata: skipped
};

// Classifies a file name (one path component). For kFile, *target receives NAME.
WhiteoutKind ClassifyWhiteout(std::string_view name, std::string* target);

// "trusted.overlay.opaque" / "user.overlay.opaque" and the matching "origin" xattr. A directory
// that holds whiteouts carries an empty origin xattr so that readdir on recent kernels hides the
// whiteouts even where the directory exists in this layer only.
std::string OverlayOpaqueXattr(OverlayXattrNamespace ns);
std::string OverlayOriginXattr(OverlayXattrNamespace ns);

// True for trusted.overlay.* and user.overlay.*: overlayfs control xattrs that a layer tar must
// not be able to set (they would change how the overlay reads the layer).
bool IsOverlayControlXattr(std::string_view name);

}  // namespace strato::rootfs
