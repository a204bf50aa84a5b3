#include "shim/bundle.h"

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace strato::shim {

namespace {
// A runtime spec is small; anything far larger is not one.
constexpr size_t kMaxConfigSize = 16u << 20;
}  // namespace

BundleInfo ReadBundle(const std::string& dir) {
  const std::string path = dir + "/config.json";
  std::string text = ReadFile(path, kMaxConfigSize);
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw Error(path + ": not valid JSON");
  if (!doc.is_object()) throw Error(path + ": expected a JSON object");
  BundleInfo info;
  info.dir = dir;
  if (auto it = doc.find("annotations"); it != doc.end() && !it->is_null()) {
    if (!it->is_object()) throw Error(path + ": annotations: expected an object");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) throw Error(path + ": annotations." + key + ": expected a string");
      info.annotations[key] = value.get<std::string>();
    }
  }
  return info;
}

std::string ShimGroupId(const BundleInfo& bundle, const std::string& container_id) {
  auto it = bundle.annotations.find(kSandboxIdAnnotation);
  if (it != bundle.annotations.end() && !it->second.empty()) return it->second;
  return container_id;
}

}  // namespace strato::shim
