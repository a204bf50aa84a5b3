#pragma once
// Default locations shared by the CLI, the shim and the packaging. Every one can be overridden
// (flag or environment variable named beside it).

namespace strato::paths {

// Guest kernel (ELF vmlinux): $STRATO_KERNEL, else the first of these that exists. The package
// installs the first; packaging/kernel/build.sh installs the second (a link into its cache).
inline constexpr const char* kKernelEnv = "STRATO_KERNEL";
inline constexpr const char* kKernelCandidates[] = {
    "/usr/share/strato/vmlinux",
    "/var/cache/strato/kernel/vmlinux",
};

// Content-addressed layer cache (EROFS images): $STRATO_LAYER_CACHE or --layer-cache.
inline constexpr const char* kLayerCacheEnv = "STRATO_LAYER_CACHE";
inline constexpr const char* kDefaultLayerCache = "/var/lib/strato/layers";

inline constexpr const char* kContainerdConfig = "/etc/containerd/config.toml";
inline constexpr const char* kShimBinary = "containerd-shim-strato-v2";

}  // namespace strato::paths
