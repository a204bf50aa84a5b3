#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, seeded from tests/fuzz/corpus/<name>.
# Usage: scripts/run-fuzzers.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?build dir}
seconds=${2:?seconds}
root=$(cd "$(dirname "$0")/.." && pwd)
mapfile -t targets < <(find "$build/tests/fuzz" -type f -name 'fuzz_*' -perm -u+x | sort)
if ((${#targets[@]} == 0)); then
  echo "run-fuzzers: no fuzz targets in $build/tests/fuzz" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  [[ -x $t ]] || continue
  name=$(basename "$t")
  work=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/${name#fuzz_}"
  [[ -d $seeds ]] && cp -r "$seeds"/. "$work"/
  echo "-- $name for ${seconds}s"
  "$t" -artifact_prefix="$work.crash-" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 "$work" \
    >"$work.log" 2>&1 || {
    tail -50 "$work.log"
    for crash in "$work".crash-*; do echo "reproducer: $crash ($(base64 -w0 "$crash"))"; done
    exit 1
  }
  tail -1 "$work.log"
  rm -rf "$work" "$work.log"
done
