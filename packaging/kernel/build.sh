#!/usr/bin/env bash
# Builds strato's guest kernel: Linux 6.1 from Debian's linux-source-6.1, `make tinyconfig` plus
# strato.config, with the patches in patches/, as an ELF vmlinux. The result is cached under
#   $STRATO_KERNEL_CACHE/<key>/vmlinux   (default cache: /var/cache/strato/kernel)
# and $STRATO_KERNEL_CACHE/vmlinux is a symlink to it. <key> is the sha256 of the config fragment,
# the patches, the source package version and this script, so a run with nothing changed only
# checks that file and returns. The source tree is kept in src-<srckey>/ (keyed by source version
# and patches) so a config-only change rebuilds incrementally.
#
# Usage: packaging/kernel/build.sh [--print-key] [--force]
#   --print-key  print the cache key and exit
#   --force      rebuild even when the cached vmlinux exists
# Environment: STRATO_KERNEL_CACHE (cache dir), STRATO_KERNEL_JOBS (make -j, default 2).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${STRATO_KERNEL_CACHE:-/var/cache/strato/kernel}"
jobs="${STRATO_KERNEL_JOBS:-2}"
source_package="linux-source-6.1"
source_tarball="/usr/src/${source_package}.tar.xz"
fragment="$here/strato.config"
mapfile -t patches < <(find "$here/patches" -name '*.patch' | LC_ALL=C sort)

print_key=0
force=0
for arg in "$@"; do
  case "$arg" in
    --print-key) print_key=1 ;;
    --force) force=1 ;;
    *) echo "build.sh: unknown argument '$arg' (expected --print-key or --force)" >&2; exit 2 ;;
  esac
done

die() { echo "kernel build: $*" >&2; exit 1; }

source_version="$(dpkg-query -W -f='${Version}' "$source_package" 2>/dev/null)" ||
  die "package $source_package is not installed (run scripts/deps.sh)"
[[ -r "$source_tarball" ]] || die "$source_tarball is missing (reinstall $source_package)"

# The key covers every input that changes the binary: each file's name and content.
hash_inputs() {
  {
    echo "source-version $source_version"
    for f in "$@"; do
      echo "file $(basename "$f") $(sha256sum <"$f" | cut -d' ' -f1)"
    done
  } | sha256sum | cut -c1-16
}
key="$(hash_inputs "$fragment" "${patches[@]}" "$here/build.sh")"
srckey="$(hash_inputs "${patches[@]}")"
if ((print_key)); then
  echo "$key"
  exit 0
fi

out_dir="$cache/$key"
if [[ -f "$out_dir/vmlinux" && $force -eq 0 ]]; then
  ln -sfn "$key/vmlinux" "$cache/vmlinux.tmp" && mv -T "$cache/vmlinux.tmp" "$cache/vmlinux"
  echo "kernel: cached $out_dir/vmlinux"
  exit 0
fi

mkdir -p "$cache"
# One build at a time per cache (setup.sh may run in parallel with a manual build).
exec 9>"$cache/.lock"
flock 9

src_root="$cache/src-$srckey"
src="$src_root/$source_package"
if [[ ! -f "$src_root/.patched" ]]; then
  echo "kernel: extracting $source_tarball into $src_root"
  rm -rf "$src_root"
  mkdir -p "$src_root"
  tar -xf "$source_tarball" -C "$src_root"
  [[ -f "$src/Makefile" ]] || die "$source_tarball did not contain $source_package/Makefile"
  for p in "${patches[@]}"; do
    echo "kernel: applying $(basename "$p")"
    patch -d "$src" -p1 --forward --batch --quiet <"$p" || die "patch $(basename "$p") does not apply"
  done
  touch "$src_root/.patched"
fi

# Reproducible build: no timestamp, user, host or build counter from this machine.
export KBUILD_BUILD_TIMESTAMP="2023-01-01 00:00:00 UTC"
export KBUILD_BUILD_USER="strato"
export KBUILD_BUILD_HOST="strato"
export KBUILD_BUILD_VERSION="1"
make_args=(-C "$src" ARCH=x86_64 -s)

echo "kernel: configuring (tinyconfig + $(basename "$fragment"))"
make "${make_args[@]}" tinyconfig >/dev/null
(cd "$src" && KCONFIG_CONFIG=.config scripts/kconfig/merge_config.sh -m -O . .config "$fragment" >/dev/null)
make "${make_args[@]}" olddefconfig >/dev/null

# Every line of the fragment must have survived: merge_config only warns about unmet dependencies.
missing=0
while IFS= read -r line; do
  if [[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
    if ! grep -qxF "$line" "$src/.config"; then
      actual="$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$src/.config" || echo "absent")"
      echo "kernel config: wanted '$line', got '$actual'" >&2
      missing=1
    fi
  elif [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
    if grep -qE "^${BASH_REMATCH[1]}=" "$src/.config"; then
      echo "kernel config: wanted '$line', got '$(grep -E "^${BASH_REMATCH[1]}=" "$src/.config")'" >&2
      missing=1
    fi
  fi
done <"$fragment"
((missing == 0)) || die "the config fragment $fragment is not satisfiable as written (see above)"

echo "kernel: building vmlinux with -j$jobs (a first build takes ~5 minutes on 2 cores)"
log="$src_root/build.log"
if ! make "${make_args[@]}" -j"$jobs" vmlinux >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  die "make vmlinux failed (full log: $log)"
fi

mkdir -p "$out_dir.tmp"
cp "$src/vmlinux" "$out_dir.tmp/vmlinux"
cp "$src/.config" "$out_dir.tmp/config"
cp "$src/System.map" "$out_dir.tmp/System.map"
rm -rf "$out_dir"
mv -T "$out_dir.tmp" "$out_dir"
ln -sfn "$key/vmlinux" "$cache/vmlinux.tmp"
mv -T "$cache/vmlinux.tmp" "$cache/vmlinux"
echo "kernel: built $out_dir/vmlinux ($(stat -c %s "$out_dir/vmlinux") bytes)"
