#!/usr/bin/env bash
# EROFS writer benchmark (issue 5): the same layer through
#   (a) strato convert LAYER -o OUT.erofs            (streaming, no extraction)
#   (b) tar -x into a temp dir + mkfs.erofs OUT DIR  (erofs-utils, uncompressed image)
# for a plain tar and a gzip variant of a 500 MB+ layer made from this machine's /usr.
# Wall time and peak RSS come from /usr/bin/time -v; each figure is the median of $RUNS runs with
# a warm page cache. Both images are checked with fsck.erofs. Prints a markdown table.
#
# Usage: bench/erofs/run.sh [STRATO_BINARY] [WORKDIR]     (RUNS=3 by default; needs root for
# tar to restore ownership like a layer unpacker would)
set -euo pipefail

strato=$(realpath "${1:-build/cli/strato}")
work=${2:-/var/tmp/strato-bench-erofs}
runs=${RUNS:-3}
# ~735 MB, ~11k entries on a Debian 12 build host.
layer_dirs=(usr/bin usr/sbin usr/include usr/libexec usr/lib32)

mkdir -p "$work"
cleanup() { rm -rf "$work/x" "$work"/*.erofs "$work/time.txt"; }
trap cleanup EXIT

if [[ ! -f $work/layer.tar ]]; then
  tar -C / -cf "$work/layer.tar" "${layer_dirs[@]}"
fi
if [[ ! -f $work/layer.tar.gz ]]; then
  gzip -6 -c "$work/layer.tar" >"$work/layer.tar.gz"
fi
tar_bytes=$(stat -c %s "$work/layer.tar")

# measure CMD... -> sets wall (seconds) and rss (KiB) from /usr/bin/time -v
measure() {
  /usr/bin/time -v -o "$work/time.txt" "$@" >/dev/null
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0;
           for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# run_case NAME INPUT: prints one table row per tool and the speed-up.
run_case() {
  local name=$1 input=$2 extract_flag=$3
  local sw=() sr=() bw=() br=()
  for ((i = 0; i < runs; i++)); do
    cat "$input" >/dev/null  # warm cache for both tools alike
    rm -f "$work/a.erofs"
    measure "$strato" convert "$input" -o "$work/a.erofs" --quiet
    sw+=("$wall") sr+=("$rss")
    rm -rf "$work/x" "$work/b.erofs" && mkdir "$work/x"
    cat "$input" >/dev/null
    measure sh -c "tar -x${extract_flag}f '$input' -C '$work/x' && mkfs.erofs '$work/b.erofs' '$work/x'"
    bw+=("$wall") br+=("$rss")
  done
  fsck.erofs "$work/a.erofs" >/dev/null
  fsck.erofs "$work/b.erofs" >/dev/null
  local s_wall b_wall s_rss b_rss
  s_wall=$(median "${sw[@]}") b_wall=$(median "${bw[@]}")
  s_rss=$(median "${sr[@]}") b_rss=$(median "${br[@]}")
  awk -v n="$name" -v sw="$s_wall" -v bw="$b_wall" -v sr="$s_rss" -v br="$b_rss" -v bytes="$tar_bytes" \
    'BEGIN {
       printf "| %s | strato convert | %.2f | %.0f | %.1f |\n", n, sw, bytes / sw / 1e6, sr / 1024;
       printf "| %s | tar -x + mkfs.erofs 1.5 | %.2f | %.0f | %.1f |\n", n, bw, bytes / bw / 1e6, br / 1024;
       printf "| %s | **speed-up** | **%.1fx** | | |\n", n, bw / sw }'
}

echo "layer: ${layer_dirs[*]} from $(hostname): $tar_bytes bytes uncompressed," \
  "$(stat -c %s "$work/layer.tar.gz") bytes gzip -6, $(tar -tf "$work/layer.tar" | wc -l) entries;" \
  "$runs runs, median"
echo
echo "| layer | tool | wall s | MB/s (uncompressed tar) | peak RSS MiB |"
echo "|---|---|---|---|---|"
run_case "tar" "$work/layer.tar" ""
run_case "tar+gzip" "$work/layer.tar.gz" "z"
