#!/usr/bin/env bash
# Installs every Debian 12 package strato needs to build, test and run. Idempotent: packages
# already present are left alone, and apt-get runs only when something is missing.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev clang-format clang-tidy
  # libraries on the design card, plus zlib/zstd for compressed layers and OpenSSL for sha256
  nlohmann-json3-dev libseccomp-dev libprotobuf-dev protobuf-compiler libspdlog-dev catch2
  zlib1g-dev libzstd-dev libssl-dev
  # guest kernel build (packaging/kernel/build.sh)
  linux-source-6.1 bc bison flex libelf-dev xz-utils cpio
  # tests and benchmarks: EROFS reference tools, containerd, runc, QEMU (start-time comparison),
  # busybox (example image), util-linux (unshare, losetup)
  erofs-utils containerd runc qemu-system-x86 busybox-static util-linux zstd gzip tar
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "deps: all ${#PACKAGES[@]} packages present"
fi
