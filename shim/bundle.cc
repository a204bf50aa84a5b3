#include "shim/bundle.h"

namespace strato::shim {

BundleInfo ReadBundle(const std::string& dir) {
  return BundleInfo{dir, oci::LoadRuntimeSpec(dir)};
}

std::string ShimGroupId(const BundleInfo& bundle, const std::string& container_id) {
  auto it = bundle.annotations().find(kSandboxIdAnnotation);
  if (it != bundle.annotations().end() && !it->second.empty()) return it->second;
  return container_id;
}

}  // namespace strato::shim
