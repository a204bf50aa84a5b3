#include "shim/manager/socket_address.h"

#include <cstdlib>
#include <filesystem>

#include "common/sha256.h"

namespace strato::shim {

std::string ShimSocketAddress(const std::string& containerd_address, const std::string& ns,
                              const std::string& group_id) {
  // filepath.Join(address, ns, id): joined with '/' and lexically cleaned.
  std::string joined =
      (std::filesystem::path(containerd_address) / ns / group_id).lexically_normal().string();
  const char* dir = std::getenv(kSocketDirEnv);
  std::string base = dir && *dir ? dir : kDefaultSocketDir;
  return std::string(kUnixScheme) + base + "/" + Sha256::HexOf(joined);
}

std::string SocketPathOf(const std::string& address) {
  std::string_view scheme = kUnixScheme;
  if (address.starts_with(scheme)) return address.substr(scheme.size());
  return address;
}

}  // namespace strato::shim
