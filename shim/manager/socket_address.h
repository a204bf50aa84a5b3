#pragma once
// Where a shim listens: unix:///run/containerd/s/<hex sha256 of "<address>/<ns>/<group>">, as
// containerd's Go shim library computes it (runtime/v2/shim/util_unix.go SocketAddress), so
// tools that know that scheme find our shims too. $STRATO_SHIM_SOCKET_DIR overrides the
// directory (tests).

#include <string>

namespace strato::shim {

inline constexpr const char* kDefaultSocketDir = "/run/containerd/s";
inline constexpr const char* kSocketDirEnv = "STRATO_SHIM_SOCKET_DIR";
inline constexpr const char* kUnixScheme = "unix://";

// "unix:///run/containerd/s/<64 hex>".
std::string ShimSocketAddress(const std::string& containerd_address, const std::string& ns,
                              const std::string& group_id);

// The path part of "unix:///path" (or the string itself without the scheme).
std::string SocketPathOf(const std::string& address);

}  // namespace strato::shim
