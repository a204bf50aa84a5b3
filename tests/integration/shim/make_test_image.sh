#!/usr/bin/env bash
# Builds the containerd end-to-end test image as an OCI image archive (for `ctr image import`),
# offline, from Debian's busybox-static. Three uncompressed layers, so the rootfs is a real
# overlay stack with a whiteout:
#   L0  /bin/busybox and applet links (sh, echo, cat, sleep, ...), /etc/passwd, /tmp
#   L1  /etc/strato-release ("layer one"), /etc/doomed
#   L2  /etc/greeting ("hello from the top layer"), a whiteout for /etc/doomed
# Usage: make_test_image.sh OUT.tar [IMAGE_NAME]   (default docker.io/library/strato-test:1)
set -euo pipefail

out=${1:?usage: make_test_image.sh OUT.tar [IMAGE_NAME]}
name=${2:-docker.io/library/strato-test:1}
busybox=${BUSYBOX:-/bin/busybox}
[[ -x $busybox ]] || { echo "make_test_image.sh: $busybox missing (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/l0/bin" "$work/l0/etc" "$work/l0/tmp" "$work/l1/etc" "$work/l2/etc" \
  "$work/oci/blobs/sha256"

cp "$busybox" "$work/l0/bin/busybox"
for applet in sh echo cat sleep true false ls ps head tr wc id hostname env kill stty tty \
  printf test grep; do
  ln -s busybox "$work/l0/bin/$applet"
done
chmod 1777 "$work/l0/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$work/l0/etc/passwd"
printf 'layer one\n' >"$work/l1/etc/strato-release"
printf 'this file is deleted by the top layer\n' >"$work/l1/etc/doomed"
printf 'hello from the top layer\n' >"$work/l2/etc/greeting"
: >"$work/l2/etc/.wh.doomed"

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }
# Deterministic tars (sorted, fixed owner and times), so the same input gives the same digests.
layer_json=""
diff_ids=""
for l in l0 l1 l2; do
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$work/$l" -cf "$work/$l.tar" .
  d=$(sha "$work/$l.tar")
  cp "$work/$l.tar" "$work/oci/blobs/sha256/$d"
  layer_json+="${layer_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"sha256:$d\",\"size\":$(size "$work/$l.tar")}"
  diff_ids+="${diff_ids:+,}\"sha256:$d\""
done

printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
  "$diff_ids" >"$work/config.json"
config_digest=$(sha "$work/config.json")
cp "$work/config.json" "$work/oci/blobs/sha256/$config_digest"

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
  "$config_digest" "$(size "$work/config.json")" "$layer_json" >"$work/manifest.json"
manifest_digest=$(sha "$work/manifest.json")
cp "$work/manifest.json" "$work/oci/blobs/sha256/$manifest_digest"

printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$manifest_digest" "$(size "$work/manifest.json")" "$name" "${name##*:}" >"$work/oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$work/oci/oci-layout"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/oci" -cf "$out" .
echo "$name"
