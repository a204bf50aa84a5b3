#!/usr/bin/env bash
# Sets up a Debian 12 machine for strato and builds it: packages, the guest kernel (cached), and
# the release build in ./build. Safe to run again; each step skips work already done.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps.sh
if [[ -x packaging/kernel/build.sh ]]; then
  bash packaging/kernel/build.sh
fi
cmake --preset default >/dev/null
cmake --build --preset default
# The example image of the README's first command (busybox-static, three layers).
bash scripts/make-example-image.sh build/example-image
