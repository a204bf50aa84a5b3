#!/usr/bin/env bash
# Boots the guest kernel with QEMU (not strato's VMM) and the Linux boot test's initramfs: a
# cross-check of the kernel and test user space independent of our VMM, and the QEMU figure in
# docs/benchmarks.md ("Linux boot"). The kernel is started at its PVH entry (-M microvm).
#
# Usage: tests/guest/linux/boot_with_qemu.sh [--cpus N] [--poweroff] [--tcg] [KERNEL [INITRAMFS]]
#   --tcg: QEMU's own CPU emulation instead of KVM. It implements SYSCALL/FWAIT correctly, so the
#          boot shows the kernel patches are inert on a correct CPU (and takes ~2 s).
# Defaults: /var/cache/strato/kernel/vmlinux, build/tests/guest/linux/test-initramfs.cpio.
# Prints the guest console; exits 0 if the guest's /init reported "all checks passed".
set -euo pipefail
cpus=1
extra=""
accel=kvm
while [[ $# -gt 0 && "$1" == --* ]]; do
  case "$1" in
    --cpus) cpus="$2"; shift 2 ;;
    --poweroff) extra="strato.test=poweroff"; shift ;;
    --tcg) accel=tcg; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
root="$(cd "$(dirname "$0")/../../.." && pwd)"
kernel="${1:-${STRATO_KERNEL:-/var/cache/strato/kernel/vmlinux}}"
initrd="${2:-$root/build/tests/guest/linux/test-initramfs.cpio}"
log="$(mktemp /tmp/strato-qemu-boot-XXXXXX.log)"
trap 'rm -f "$log"' EXIT

# The nested-KVM options from docs/guest-kernel.md: noxsave (xrstor), clearcpuid=smap,popcnt,cx16
# (clac/stac, popcnt, SLUB cmpxchg16b), erms,fsrm (speed). On nested KVM QEMU still stops at the
# alternatives' int3 self-test (it does not inject #BP as strato's VMM does); on hardware KVM it
# boots through. -no-reboot turns the guest's reboot into a QEMU exit; a power-off without
# ACPI halts the CPU, which QEMU never reports, hence the timeout.
start=$(date +%s.%N)
timeout 240 qemu-system-x86_64 -accel "$accel" -M microvm,x-option-roms=off,rtc=off -smp "$cpus" \
  -m 128 -nodefaults -no-user-config -nographic -serial stdio -no-reboot \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 earlyprintk=ttyS0 panic=-1 reboot=t noxsave clearcpuid=smap,popcnt,cx16,erms,fsrm $extra" \
  2>&1 | tee "$log" || true
end=$(date +%s.%N)
echo "qemu boot: host wall $(echo "$end - $start" | bc) s"
grep -q "strato-test-init: all checks passed" "$log"
