#!/bin/bash
# `strato run` end to end: the example image running `true`, host wall time per run and the phase
# split strato logs at debug level (prepare = image open + layers from the cache + initrd,
# boot-to-agent = strato-vmm start until the guest agent answers on vsock, start = process
# created, streams bound and started, exit = until its exit status, teardown = agent shutdown,
# VMM exit, state removed). The first, unmeasured run fills the layer cache.
# Usage: bench/run_bench.sh [build dir] [runs]   (build first: ninja -C build strato strato-vmm strato-init)
# Extra `strato run` flags (e.g. "--memory 128") in $RUN_FLAGS.
set -euo pipefail
build=${1:-build}
runs=${2:-5}
strato=$build/cli/strato
image=$(mktemp -d /tmp/strato-run-bench.XXXXXX)
cache=$image.cache
trap 'rm -rf "$image" "$cache"' EXIT
bash "$(dirname "$0")/../scripts/make-example-image.sh" "$image/image" >/dev/null
"$strato" run --layer-cache "$cache" "$image/image" -- true
phases="prepare boot-to-agent start exit teardown"
printf '%-4s %8s' run wall
for p in $phases; do printf ' %14s' "$p"; done
printf '\n'
for run in $(seq "$runs"); do
  start=$(date +%s.%N)
  "$strato" --log-level debug run --layer-cache "$cache" ${RUN_FLAGS:-} "$image/image" -- true 2>"$image/log"
  end=$(date +%s.%N)
  printf '%-4s %7.2fs' "$run" "$(echo "$end - $start" | bc)"
  for p in $phases; do
    printf ' %13ss' "$(sed -n "s/.*phase $p: \([0-9.]*\) s.*/\1/p" "$image/log")"
  done
  printf '\n'
done
