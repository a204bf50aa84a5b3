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

// Helper binaries of `strato run` and the shim: $STRATO_INIT / $STRATO_VMM, else beside the running
// executable in the build tree (<build>/guest/strato-init, <build>/vmm/strato-vmm), else the
// installed copy in kHelperBinaryDir (runtime/helper_binaries.h).
inline constexpr const char* kInitBinaryEnv = "STRATO_INIT";
inline constexpr const char* kInitBinaryName = "strato-init";
inline constexpr const char* kInitBuildSubdir = "guest";
inline constexpr const char* kVmmBinaryEnv = "STRATO_VMM";
inline constexpr const char* kVmmBinaryName = "strato-vmm";
inline constexpr const char* kVmmBuildSubdir = "vmm";
inline constexpr const char* kHelperBinaryDir = "/usr/lib/strato";

// Cached initramfs base archives (strato-init), by content: $STRATO_INITRAMFS_CACHE or this.
inline constexpr const char* kInitramfsCacheEnv = "STRATO_INITRAMFS_CACHE";
inline constexpr const char* kDefaultInitramfsCache = "/var/cache/strato/initramfs";

// Per-container state of `strato run` (vsock socket, vmm.pid, console.log, initrd):
// <kRunStateRoot>/<id>, removed when the container is gone.
inline constexpr const char* kRunStateRoot = "/run/strato/run";

inline constexpr const char* kContainerdConfig = "/etc/containerd/config.toml";
inline constexpr const char* kShimBinary = "containerd-shim-strato-v2";

}  // namespace strato::paths
