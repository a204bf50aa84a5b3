#include "rootfs/tar/tar_path.h"

#include "common/error.h"

namespace strato::rootfs {

std::vector<std::string> NormalizeLayerPath(std::string_view path) {
  if (path.find('\0') != std::string_view::npos) throw Error("path contains a NUL byte");
  if (path.size() > kMaxPathLength) {
    throw Error("path is " + std::to_string(path.size()) + " bytes, longer than the " +
                std::to_string(kMaxPathLength) + "-byte limit");
  }
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view part = path.substr(start, end - start);
    start = end + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") throw Error("path has a \"..\" component (would leave the layer root)");
    if (part.size() > kMaxNameComponent) {
      throw Error("name component of " + std::to_string(part.size()) + " bytes exceeds " +
                  std::to_string(kMaxNameComponent));
    }
    out.emplace_back(part);
  }
  return out;
}

std::string JoinPath(const std::vector<std::string>& components) {
  if (components.empty()) return "/";
  std::string out;
  for (const auto& c : components) {
    out += '/';
    out += c;
  }
  return out;
}

}  // namespace strato::rootfs
