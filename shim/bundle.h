#pragma once
// What the shim reads from an OCI bundle: the validated runtime spec (oci/runtime_spec.h) and
// its annotations (CRI's sandbox id decides which shim serves a container).

#include <map>
#include <string>

#include "oci/runtime_spec.h"

namespace strato::shim {

inline constexpr const char* kSandboxIdAnnotation = "io.kubernetes.cri.sandbox-id";
inline constexpr const char* kContainerTypeAnnotation = "io.kubernetes.cri.container-type";

struct BundleInfo {
  std::string dir;
  oci::RuntimeSpec spec;
  const std::map<std::string, std::string>& annotations() const { return spec.annotations; }
};

// Reads and validates <dir>/config.json. Throws strato::Error naming the file and the JSON path
// of the problem.
BundleInfo ReadBundle(const std::string& dir);

// The shim group a container belongs to: its CRI sandbox id if annotated, else its own id.
std::string ShimGroupId(const BundleInfo& bundle, const std::string& container_id);

}  // namespace strato::shim
