#!/usr/bin/env bash
# Builds strato's example OCI image (an image layout directory) from Debian's busybox-static, with
# tar, gzip and sha256sum only (no docker, skopeo or registry):
#   layer 0 (tar+gzip): /bin/busybox and links for common applets, the usual top directories
#   layer 1 (tar):      /etc (passwd, group, motd, obsolete.conf)
#   layer 2 (tar):      deletes /etc/obsolete.conf (an OCI whiteout) and adds /etc/strato-release
# Config: Env PATH=/bin, Cmd ["sh"], WorkingDir /. Same busybox -> same bytes (sorted entries,
# owner 0:0, mtime 0, gzip -n), so the layer cache converts each layer once.
#
#   bash scripts/make-example-image.sh build/example-image
#   ./build/cli/strato run build/example-image -- echo hello
set -euo pipefail

if (($# != 1)); then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out=$1
busybox=${BUSYBOX:-/bin/busybox}
if [[ ! -x $busybox ]]; then
  echo "$0: $busybox not found: apt-get install busybox-static (scripts/deps.sh)" >&2
  exit 1
fi

# Applets linked in /bin: what the README, the tests and a shell session commonly use.
applets=(
  sh ash cat cp date dd echo env false grep head hostname id kill ln ls mkdir mount mv printf ps
  pwd rm rmdir seq sha256sum sleep sort stat tail tee test touch tr true uname wc which yes
)

# Built beside OUT_DIR, then renamed into place.
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.example-image.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

# tar of a staging directory, reproducible: sorted, numeric owner 0:0, mtime 0, no atime/ctime.
make_tar() {
  local dir=$1 tarfile=$2
  tar --create --file "$tarfile" --directory "$dir" --sort=name --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    --owner=0 --group=0 --numeric-owner --mtime=@0 .
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# Stores a file as a blob; prints "<digest hex> <size>".
store_blob() {
  local file=$1 hex
  hex=$(sha256_of "$file")
  cp "$file" "$work/blobs/sha256/$hex"
  echo "$hex $(stat -c %s "$file")"
}

layer_descriptors=()
diff_ids=()
# add_layer DIR COMPRESS(gzip|none)
add_layer() {
  local dir=$1 compress=$2 tarfile="$work/layer.tar" blob media
  make_tar "$dir" "$tarfile"
  diff_ids+=("sha256:$(sha256_of "$tarfile")")
  if [[ $compress == gzip ]]; then
    gzip -n -9 -c "$tarfile" >"$tarfile.gz"
    blob="$tarfile.gz"
    media="application/vnd.oci.image.layer.v1.tar+gzip"
  else
    blob=$tarfile
    media="application/vnd.oci.image.layer.v1.tar"
  fi
  read -r hex size < <(store_blob "$blob")
  layer_descriptors+=("{\"mediaType\":\"$media\",\"digest\":\"sha256:$hex\",\"size\":$size}")
  rm -f "$tarfile" "$tarfile.gz"
}

# Layer 0: busybox.
l0="$work/l0"
mkdir -p "$l0/bin" "$l0/dev" "$l0/proc" "$l0/sys" "$l0/root" "$l0/tmp" "$l0/etc" "$l0/var"
chmod 1777 "$l0/tmp"
chmod 0700 "$l0/root"
install -m 0755 "$busybox" "$l0/bin/busybox"
for applet in "${applets[@]}"; do ln -s busybox "$l0/bin/$applet"; done
add_layer "$l0" gzip

# Layer 1: /etc.
l1="$work/l1"
mkdir -p "$l1/etc"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$l1/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$l1/etc/group"
printf 'Welcome to the strato example image.\n' >"$l1/etc/motd"
printf 'this file is deleted by layer 2\n' >"$l1/etc/obsolete.conf"
add_layer "$l1" none

# Layer 2: a whiteout for /etc/obsolete.conf and a new file.
l2="$work/l2"
mkdir -p "$l2/etc"
: >"$l2/etc/.wh.obsolete.conf"
printf 'strato example image, layer 2\n' >"$l2/etc/strato-release"
add_layer "$l2" none

# Image config, manifest, index.
join() {
  local IFS=,
  echo "$*"
}
quoted_diff_ids=()
for d in "${diff_ids[@]}"; do quoted_diff_ids+=("\"$d\""); done
config="$work/config.json"
printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[$(join "${quoted_diff_ids[@]}")]}}" >"$config"
read -r config_hex config_size < <(store_blob "$config")

manifest="$work/manifest.json"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$config_hex\",\"size\":$config_size},\"layers\":[$(join "${layer_descriptors[@]}")]}" >"$manifest"
read -r manifest_hex manifest_size < <(store_blob "$manifest")

printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$work/oci-layout"
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest_hex\",\"size\":$manifest_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}]}" >"$work/index.json"

# Replace OUT_DIR with the finished layout.
rm -rf "$work/l0" "$work/l1" "$work/l2" "$config" "$manifest"
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
chmod 0755 "$out"
echo "example image: $out (sha256:$manifest_hex)"
