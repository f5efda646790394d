#!/usr/bin/env bash
# Build a release snapshot on this machine, as a release would, publishing
# nothing: goreleaser checks .goreleaser.yaml and builds the binaries
# (linux, darwin, windows x amd64, arm64), archives, checksums, deb, rpm and
# apk packages and the Homebrew cask into dist/; ko builds the container
# image (.ko.yaml) into tarballs in dist/ without a Docker daemon or a
# registry, on a base made here from the machine's CA bundle
# (scripts/oci-base.sh). Then it checks what it built (checksums, the
# installer against the snapshot, the packages' contents, the image's binary
# as user 65532 in a chroot when run as root) and prints the artifacts, their
# sizes and the time taken.
#
#   scripts/release-snapshot.sh
#
# Needs Go, git, tar, gzip, sha256sum and curl. goreleaser and ko are
# installed from the Go module proxy into a temporary GOBIN (or
# RELEASE_TOOLS=DIR, kept and reused). Not run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
goreleaser_version=v2.15.1
ko_version=v0.19.1

step() { printf '\n== %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

tools=${RELEASE_TOOLS:-}
if [ -z "$tools" ]; then
  tools=$(mktemp -d)
  trap 'rm -rf "$tools"' EXIT
fi
mkdir -p "$tools"
tools=$(cd "$tools" && pwd)
if ! "$tools/goreleaser" --version 2>/dev/null | grep -q "${goreleaser_version#v}"; then
  step "installing goreleaser $goreleaser_version"
  GOBIN=$tools go install "github.com/goreleaser/goreleaser/v2@$goreleaser_version"
fi
if ! "$tools/ko" version 2>/dev/null | grep -q "${ko_version#v}"; then
  step "installing ko $ko_version"
  GOBIN=$tools go install "github.com/google/ko@$ko_version"
fi
echo "goreleaser $("$tools/goreleaser" --version 2>&1 | sed -n 's/^GitVersion: *//p'), ko $("$tools/ko" version)"

step "goreleaser check"
"$tools/goreleaser" check

# goreleaser reads the commit through git and gives up on all of it when the
# clone has no remote (a local clone or worktree): name the project's for
# this run only, in the environment, leaving the repository's config alone.
if [ -z "$(git remote)" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=https://github.com/imhook/imhook.git
fi

step "goreleaser release --snapshot (kos skipped: its snapshot loads the image into a Docker daemon; ko builds it below)"
"$tools/goreleaser" release --snapshot --clean --skip=ko

version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
commit=$(git rev-parse HEAD)
created=$(git log -1 --format=%cI)
SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)
KO_DATA_DATE_EPOCH=$SOURCE_DATE_EPOCH
export SOURCE_DATE_EPOCH KO_DATA_DATE_EPOCH

step "container image v$version (ko, no daemon)"
kocache=$(mktemp -d)
base=$(sh scripts/oci-base.sh "$kocache/img")
echo "base: $base (CA bundle, user 65532)"
labels=(--image-label "org.opencontainers.image.title=imhook"
  --image-label "org.opencontainers.image.source=https://github.com/imhook/imhook"
  --image-label "org.opencontainers.image.version=v$version"
  --image-label "org.opencontainers.image.revision=$commit"
  --image-label "org.opencontainers.image.created=$created")
image() {
  KOCACHE=$kocache KO_DEFAULTBASEIMAGE=$base KO_DOCKER_REPO=ghcr.io/imhook/imhook IMHOOK_VERSION=v$version \
    "$tools/ko" build --bare --push=false --sbom=none --image-user=65532:65532 "${labels[@]}" --tags="v$version" "$@" . 2>&1 |
    grep -v -e '^ M ' -e '^?? ' -e 'git is in a dirty state' -e 'Please check in your pipeline' || true
}
# One OCI layout for both platforms (skopeo, crane, podman load), one
# docker-load tarball per platform.
rm -rf "dist/image"
image --platform=linux/amd64,linux/arm64 --oci-layout-path=dist/image
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" -C dist/image -cf "dist/imhook_${version}_image_oci.tar" .
rm -rf dist/image
for arch in amd64 arm64; do
  image --platform="linux/$arch" --tarball="dist/imhook_${version}_image_linux_$arch.tar"
done
rm -rf "$kocache"

step "checks"
host_arch=$(go env GOARCH)
(cd dist && sha256sum --quiet -c "imhook_${version}_checksums.txt") && echo "checksums: every artifact matches imhook_${version}_checksums.txt"
# The installer against the snapshot, as users and the action run it.
rel=$(mktemp -d)
mkdir -p "$rel/v$version"
ln -s "$PWD"/dist/imhook_"${version}"_* "$rel/v$version/"
IMHOOK_BASE_URL="file://$rel" IMHOOK_INSTALL_DIR="$rel/bin" sh scripts/install.sh "v$version" 2>&1 | sed 's/^/install.sh: /'
rm -rf "$rel"
if command -v dpkg-deb >/dev/null 2>&1; then
  deb=$(ls dist/imhook_*_"$host_arch".deb)
  echo "$deb: $(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')"
  dpkg-deb -c "$deb" | awk '{print "  " $6}'
fi
# The image's binary, from its layers, as the image's user.
img=$(mktemp -d)
tar -xf "dist/imhook_${version}_image_linux_$host_arch.tar" -C "$img"
mkdir "$img/rootfs"
for layer in $(sed 's/.*"Layers":\[\([^]]*\)\].*/\1/' "$img/manifest.json" | tr -d '"' | tr ',' ' '); do
  tar -xzf "$img/$layer" -C "$img/rootfs" 2>&1 | grep -v "Removing leading" >&2 || true
done
echo "image config: $(tar -xOf "dist/imhook_${version}_image_linux_$host_arch.tar" "$(sed 's/.*"Config":"\([^"]*\)".*/\1/' "$img/manifest.json")" |
  grep -o '"\(User\|Entrypoint\|Env\)":[^]]*\]\?' | tr '\n' ' ')"
if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null 2>&1; then
  echo "in the image's root, as 65532: $(chroot --userspec=65532:65532 "$img/rootfs" /ko-app/imhook version)"
  chroot --userspec=65532:65532 "$img/rootfs" /ko-app/imhook --version >/dev/null
else
  echo "image binary: $("$img/rootfs/ko-app/imhook" version) (not root: no chroot)"
fi
if cmp -s "$img/rootfs/ko-app/imhook" "dist/imhook_linux_${host_arch}"_*/imhook; then
  echo "the image's binary and goreleaser's linux/$host_arch binary are the same bytes (two builders, one reproducible build)"
else
  echo "the image's binary differs from goreleaser's linux/$host_arch binary"
fi
rm -rf "$img"

step "artifacts"
{
  ls -d dist/imhook_*/imhook dist/imhook_*/imhook.exe 2>/dev/null
  ls dist/*.tar.gz dist/*.zip dist/*.deb dist/*.rpm dist/*.apk dist/*.tar dist/*_checksums.txt
  find dist/homebrew -type f 2>/dev/null
} | while read -r f; do
  printf '%10s  %s\n' "$(numfmt --to=iec --suffix=B "$(stat -c %s "$f")")" "$f"
done
printf '\nsnapshot v%s built in %ss\n' "$version" "$(($(date +%s) - start))"
