#pragma once
// What the shim needs from an OCI bundle before the VM backend reads the full spec: the
// annotations (CRI's sandbox id decides which shim serves a container) and a check that
// config.json is there and is a JSON object.
//
// TODO(oci): switch ReadBundle to strato::oci::ParseRuntimeSpec (oci/runtime_spec.h) once the
// oci module is in main; this is the only place the shim reads config.json.

#include <map>
#include <string>

namespace strato::shim {

inline constexpr const char* kSandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";
inline constexpr const char* kContainerTypeAnnotation = "io.kubernetes.cri.container-type";

struct BundleInfo {
  std::string dir;
  std::map<std::string, std::string> annotations;
};

// Reads <dir>/config.json. Throws strato::Error naming the file for a missing or malformed
// file, or non-string annotations.
BundleInfo ReadBundle(const std::string& dir);

// The shim group a container belongs to: its CRI sandbox id if annotated, else its own id.
std::string ShimGroupId(const BundleInfo& bundle, const std::string& container_id);

}  // namespace strato::shim
