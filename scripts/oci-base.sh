#!/bin/sh
# Make a minimal base image for imhook's container as an OCI image layout,
# without a registry or a Docker daemon: one layer with the CA bundle
# (Debian's ca-certificates, /etc/ssl/certs/ca-certificates.crt), /etc/passwd
# and /etc/group naming the non-root user 65532 (nonroot), and /tmp; the
# image runs as that user. One index for linux/amd64 and linux/arm64 (a
# static binary needs nothing per architecture from its base).
#
#   sh scripts/oci-base.sh DIR     writes the layout into DIR (ko reads it as
#                                  its cache: KOCACHE=PARENT with DIR=PARENT/img)
#                                  and prints the reference to build on:
#                                  imhook.invalid/base@sha256:...
#
# Byte-for-byte reproducible for a given CA bundle (GNU tar, gzip -n).
set -eu
out=${1:?usage: oci-base.sh DIR}
bundle=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
[ -s "$bundle" ] || { echo "oci-base.sh: no CA bundle at $bundle (apt-get install ca-certificates)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/etc/ssl/certs" "$root/tmp" "$out/blobs/sha256"
cp "$bundle" "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/tmp:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
chmod 0644 "$root/etc/passwd" "$root/etc/group" "$root/etc/ssl/certs/ca-certificates.crt"
chmod 0755 "$root/etc" "$root/etc/ssl" "$root/etc/ssl/certs"
chmod 1777 "$root/tmp"

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  -C "$root" -cf "$work/layer.tar" etc tmp
gzip -n -9 -c "$work/layer.tar" >"$work/layer.tar.gz"

sha() { sha256sum "$1" | cut -d ' ' -f 1; }
size() { wc -c <"$1" | tr -d ' '; }
# blob FILE: store FILE in the layout under its digest and print the digest.
blob() { d=$(sha "$1"); cp "$1" "$out/blobs/sha256/$d"; echo "$d"; }

diffid=$(sha "$work/layer.tar")
layer=$(blob "$work/layer.tar.gz")
layer_size=$(size "$work/layer.tar.gz")

entries=
for arch in amd64 arm64; do
  printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"User":"65532:65532","Env":["PATH=/usr/local/bin:/usr/bin:/bin","SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$arch" "$diffid" >"$work/config-$arch.json"
  config=$(blob "$work/config-$arch.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config" "$(size "$work/config-$arch.json")" "$layer" "$layer_size" >"$work/manifest-$arch.json"
  manifest=$(blob "$work/manifest-$arch.json")
  entries="$entries${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$manifest\",\"size\":$(size "$work/manifest-$arch.json"),\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" >"$work/index.json"
index=$(blob "$work/index.json")

# The layout's own index lists the image index and its manifests: ko's cache
# finds each by digest there.
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s},%s]}' \
  "$index" "$(size "$work/index.json")" "$entries" >"$out/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$out/oci-layout"
echo "imhook.invalid/base@sha256:$index"
