#!/bin/bash
# virtio-blk benchmark with the virtio_bench test guest (tests/guest/programs/virtio_bench.c):
# interrupt round-trip latency (1000 single-sector reads, each waited for by its interrupt) and
# sequential read throughput of a 64 MiB disk in 256 KiB requests, in-kernel vs split irqchip.
# Usage: bench/virtio/run.sh [build dir] [runs]   (build first: ninja -C build strato-vmm guest_virtio_bench)
set -euo pipefail
build=${1:-build}
runs=${2:-3}
vmm=$build/vmm/strato-vmm
guest=$build/tests/guest/guest_virtio_bench.elf
disk=$(mktemp /tmp/strato-virtio-bench.XXXXXX)
trap 'rm -f "$disk"' EXIT
dd if=/dev/urandom of="$disk" bs=1M count=64 status=none
# The guest reports TSC cycles; the guest TSC runs at the host's nominal frequency.
mhz=$(awk -F: '/^cpu MHz/ {print $2; exit}' /proc/cpuinfo)
for mode in kernel split; do
  for run in $(seq "$runs"); do
    out=$("$vmm" --kernel "$guest" --memory 32 --disk "$disk",ro --irqchip "$mode" </dev/null 2>/dev/null)
    rt=$(awk '/^round_trip_cycles/ {print $2}' <<<"$out")
    bytes=$(awk '/^seq_read_bytes/ {print $2}' <<<"$out")
    cyc=$(awk '/^seq_read_cycles/ {print $2}' <<<"$out")
    awk -v m="$mode" -v r="$run" -v rt="$rt" -v b="$bytes" -v c="$cyc" -v mhz="$mhz" 'BEGIN {
      printf "%-6s run %d: interrupt round trip %.1f us, sequential read %.0f MiB/s\n",
             m, r, rt / mhz, (b / 1048576) / (c / (mhz * 1e6)) }'
  done
done
