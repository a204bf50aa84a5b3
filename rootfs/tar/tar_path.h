#pragma once
// Normalisation of the paths stored in a layer tar. A layer's paths are relative to the layer
// root: a leading "/" and "." components are dropped, empty components collapse. Paths that the
// image could not represent or that try to leave the root are rejected.

#include <string>
#include <string_view>
#include <vector>

namespace strato::rootfs {

// Longest path (bytes) and name component accepted (Linux PATH_MAX - 1 and NAME_MAX; EROFS
// names are also limited to 255 bytes).
inline constexpr size_t kMaxPathLength = 4095;
inline constexpr size_t kMaxNameComponent = 255;

// Splits `path` into components. Returns an empty vector for the layer root ("", ".", "/",
// "./"). Throws strato::Error with the reason (".." component, NUL byte, name too long, path too
// long); callers add the entry name and offset.
std::vector<std::string> NormalizeLayerPath(std::string_view path);

// Joins components back with "/" (for messages).
std::string JoinPath(const std::vector<std::string>& components);

}  // namespace strato::rootfs
