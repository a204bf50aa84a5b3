#!/usr/bin/env bash
# `ctr run --rm` of the example image (scripts/make-example-image.sh) with strato (io.containerd.strato.v2) against runc
# (io.containerd.runc.v2): same image, same command, runs alternating so both see the same
# machine load; prints each run's wall time, the medians and their ratio, then the resident
# memory of each runtime's shim serving one long-running container.
#
#   sudo bash bench/containerd_bench.sh [PAIRS]        (default 5 pairs; BUILD_DIR=./build)
#
# It starts its own containerd on a private root/state/socket under /tmp (as the end-to-end
# tests do), with this build's shim first on PATH, and removes everything at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

pairs=${1:-5}
build=${BUILD_DIR:-$PWD/build}
shim_dir="$build/shim"
[[ -x $shim_dir/containerd-shim-strato-v2 ]] || {
  echo "containerd_bench.sh: build the shim first (cmake --build --preset default)" >&2
  exit 1
}
image=docker.io/library/strato-example:latest
command=(/bin/sh -c 'echo hi')

dir=$(mktemp -d /tmp/strato-bench-XXXXXX)
ctrd_pid=
cleanup() {
  set +e
  ctr_ task ls -q 2>/dev/null | while read -r t; do ctr_ task kill -s SIGKILL "$t"; done
  sleep 1
  ctr_ task ls -q 2>/dev/null | while read -r t; do ctr_ task delete -f "$t"; done
  ctr_ container ls -q 2>/dev/null | while read -r c; do ctr_ container delete "$c"; done
  [[ -n $ctrd_pid ]] && kill "$ctrd_pid" && wait "$ctrd_pid" 2>/dev/null
  grep -o "$dir[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l
  rm -rf "$dir"
}
trap cleanup EXIT
ctr_() { ctr --address "$dir/c.sock" "$@"; }

cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$dir/c.sock"
[ttrpc]
  address = "$dir/c.sock.ttrpc"
EOF
mkdir -p "$dir/s"
PATH="$shim_dir:$PATH" STRATO_SHIM_SOCKET_DIR="$dir/s" STRATO_SHIM_STATE_ROOT="$dir/run" \
  STRATO_LAYER_CACHE="$dir/layers" containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
ctrd_pid=$!
for _ in $(seq 50); do ctr_ version >/dev/null 2>&1 && break; sleep 0.2; done
bash scripts/make-example-image.sh "$dir/image" >/dev/null
tar -C "$dir/image" -cf "$dir/image.tar" .
ctr_ image import --base-name "${image%:*}" "$dir/image.tar" >/dev/null

# One run: prints the wall time in seconds; fails loudly on a wrong output.
run_once() {
  local runtime=$1 id=$2 start end out
  start=$(date +%s.%N)
  out=$(ctr_ run --rm --runtime "$runtime" "$image" "$id" "${command[@]}")
  end=$(date +%s.%N)
  [[ $out == hi ]] || { echo "run $id with $runtime printed '$out'" >&2; exit 1; }
  echo "$end - $start" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# A first untimed run of each fills the layer cache (strato) and warms the page cache.
run_once io.containerd.strato.v2 warm-strato >/dev/null
run_once io.containerd.runc.v2 warm-runc >/dev/null

: >"$dir/strato.times"
: >"$dir/runc.times"
for i in $(seq "$pairs"); do
  s=$(run_once io.containerd.strato.v2 "s$i")
  r=$(run_once io.containerd.runc.v2 "r$i")
  printf 'pair %d: strato %.2f s, runc %.3f s\n' "$i" "$s" "$r"
  echo "$s" >>"$dir/strato.times"
  echo "$r" >>"$dir/runc.times"
done
ms=$(median <"$dir/strato.times")
mr=$(median <"$dir/runc.times")
printf 'median wall time: strato %.2f s, runc %.3f s, ratio strato/runc %.1f\n' "$ms" "$mr" \
  "$(echo "$ms / $mr" | bc -l)"

# Shim memory: each runtime's shim serving one long-running container.
shim_rss() {
  local runtime=$1 id=$2 binary=$3 pid
  ctr_ run -d --runtime "$runtime" "$image" "$id" /bin/sleep 100000 >/dev/null
  pid=$(pgrep -f -- "$binary .*-id $id( |$)" | head -1)
  grep -E '^VmRSS' "/proc/$pid/status" | awk -v r="$runtime" '{printf "%s shim RSS: %d KiB\n", r, $2}'
  ctr_ task kill -s SIGKILL "$id" >/dev/null
  for _ in $(seq 100); do [[ $(ctr_ task ls | awk -v t="$id" '$1 == t {print $3}') == STOPPED ]] && break; sleep 0.2; done
  ctr_ task delete "$id" >/dev/null
  ctr_ container delete "$id" >/dev/null
}
shim_rss io.containerd.strato.v2 rss-strato containerd-shim-strato-v2
shim_rss io.containerd.runc.v2 rss-runc containerd-shim-runc-v2
