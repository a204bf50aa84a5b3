#!/usr/bin/env python3
"""VMM start benchmark (Firecracker's "VMM start" measure): wall and CPU time from exec of the VMM
to the guest's first port write (the '!' the benchmark guest writes to the serial port as its first
instruction, observed on the console pipe) and to the VMM's exit, for strato vs QEMU microvm booting
the same ELF (QEMU through its PVH note). Runs alternate between the two. Also reports each VMM's peak
RSS, measured in separate runs under /usr/bin/time (rusage of a child forked from Python would
include Python's own pages); for strato it includes the guest pages touched by boot (at most one
2 MiB transparent huge page).

Three VMMs alternate: strato-vmm (the lean VMM binary the shim will exec), `strato vm` (the same
code inside the full CLI binary) and QEMU.

usage: bench/vmm/start_bench.py [--runs N] [--guest ELF] [--memory MiB]
"""
import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_once(cmd):
    """Returns (first_write_s, exit_s, cpu_s, maxrss_kib, exit_code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    first = None
    while True:
        b = proc.stdout.read(1)
        if not b:
            break
        if first is None and b == b"!":
            first = time.perf_counter() - start
    _, status, usage = os.wait4(proc.pid, 0)
    end = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return first, end, cpu, usage.ru_maxrss, proc.returncode


def peak_rss_kib(cmd, runs=3):
    values = []
    for _ in range(runs):
        r = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        values.append(int(r.stderr.strip().splitlines()[-1]))
    return statistics.median(values)


def summarize(name, rows):
    firsts = [r[0] * 1e3 for r in rows if r[0] is not None]
    ends = [r[1] * 1e3 for r in rows]
    cpus = [r[2] * 1e3 for r in rows]
    missing = sum(1 for r in rows if r[0] is None)
    print(f"{name:10s} runs={len(rows)} first-port-write median {statistics.median(firsts):7.2f} ms "
          f"(min {min(firsts):6.2f}, max {max(firsts):6.2f}); exit median {statistics.median(ends):7.2f} ms; "
          f"CPU median {statistics.median(cpus):6.2f} ms"
          + (f"; {missing} runs without the marker" if missing else ""))
    return statistics.median(firsts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--strato", default=os.path.join(ROOT, "build/cli/strato"))
    ap.add_argument("--strato-vmm", default=os.path.join(ROOT, "build/vmm/strato-vmm"))
    ap.add_argument("--guest", default=os.path.join(ROOT, "build/tests/guest/guest_bench_first_io.elf"))
    ap.add_argument("--memory", type=int, default=128)
    args = ap.parse_args()
    vm_flags = ["--kernel", args.guest, "--memory", str(args.memory), "--console", "-"]
    strato_vmm = [args.strato_vmm] + vm_flags
    strato = [args.strato, "vm"] + vm_flags
    qemu = ["qemu-system-x86_64", "-enable-kvm", "-M", "microvm", "-m", str(args.memory), "-smp", "1",
            "-nographic", "-nodefaults", "-no-user-config", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4", "-kernel", args.guest]
    vmms = (("strato-vmm", strato_vmm), ("strato vm", strato), ("qemu", qemu))
    for name, cmd in vmms:
        print(f"{name}: {' '.join(cmd)}")
    rows = {name: [] for name, _ in vmms}
    for i in range(args.runs):
        for name, cmd in vmms:
            rows[name].append(run_once(cmd))
    medians = {name: summarize(name, rows[name]) for name, _ in vmms}
    for name in ("strato-vmm", "strato vm"):
        print(f"ratio {name}/qemu (first port write, medians): {medians[name] / medians['qemu']:.3f}")
    for name, cmd in vmms:
        print(f"{name:10s} peak RSS (median of 3): {peak_rss_kib(cmd) / 1024:.2f} MiB")
    codes = {name: sorted(set(r[4] for r in rs)) for name, rs in rows.items()}
    print(f"exit codes: {codes} (strato 0 = test-passed; QEMU isa-debug-exit 0 -> 1)")
    if any(r[0] is None for rs in rows.values() for r in rs):
        return 1


if __name__ == "__main__":
    sys.exit(main())
