#!/bin/sh
# Install an imhook release binary, verified against the release's checksums file.
#
#   curl -fsSL https://raw.githubusercontent.com/imhook/imhook/v0.1.0/scripts/install.sh | sh
#   sh scripts/install.sh [-b BINDIR] [VERSION]
#
# It downloads imhook_<version>_<os>_<arch>.tar.gz (.zip on Windows) and
# imhook_<version>_checksums.txt from the release, refuses to install when the
# archive's SHA-256 is not the one the checksums file gives, and puts the
# binary in BINDIR. It needs sh, uname, tar (unzip or tar on Windows), curl or
# wget, and sha256sum, shasum or openssl.
#
# Environment (flags win):
#   IMHOOK_VERSION      the release to install (default below: the pinned one)
#   IMHOOK_INSTALL_DIR  where the binary goes (default: $HOME/.local/bin,
#                       /usr/local/bin when run as root)
#   IMHOOK_BASE_URL     where releases live: <base>/<version>/<file>
#                       (default https://github.com/imhook/imhook/releases/download)
#
# Exit status: 0 installed; 1 not installed (the message says why); 2 bad usage.
set -eu

version=${IMHOOK_VERSION:-v0.1.0}
base=${IMHOOK_BASE_URL:-https://github.com/imhook/imhook/releases/download}
bindir=${IMHOOK_INSTALL_DIR:-}

say() { printf 'imhook install: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }
usage() {
  printf 'usage: install.sh [-b BINDIR] [VERSION]   (VERSION like v0.1.0; default %s)\n' "$version" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case $1 in
    -b) [ $# -ge 2 ] || usage; bindir=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) say "unknown flag $1"; usage ;;
    *) version=$1; shift ;;
  esac
done

case $version in
  v[0-9]*) ;;
  [0-9]*) version=v$version ;;
  *) say "version must look like v0.1.0, not \"$version\""; usage ;;
esac
if [ -z "$bindir" ]; then
  if [ "$(id -u 2>/dev/null || echo 1)" = 0 ]; then bindir=/usr/local/bin; else bindir=$HOME/.local/bin; fi
fi

os=$(uname -s)
case $os in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  MINGW*|MSYS*|CYGWIN*|Windows_NT) os=windows ;;
  *) fail "no imhook release for the operating system \"$os\" (releases are built for Linux, macOS and Windows); build from source instead: go install github.com/imhook/imhook@$version" ;;
esac
arch=$(uname -m)
case $arch in
  x86_64|amd64) arch=amd64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) fail "no imhook release for the architecture \"$arch\" (releases are built for amd64 and arm64); build from source instead: go install github.com/imhook/imhook@$version" ;;
esac

exe=imhook ext=tar.gz
if [ "$os" = windows ]; then exe=imhook.exe ext=zip; fi
number=${version#v}
archive=imhook_${number}_${os}_${arch}.$ext
sums=imhook_${number}_checksums.txt
url=$base/$version

if command -v curl >/dev/null 2>&1; then
  fetch() { curl -fsSL --retry 3 -o "$2" "$1"; }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget -q -O "$2" "$1"; }
else
  fail "neither curl nor wget is installed: install one of them"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
elif command -v openssl >/dev/null 2>&1; then
  sha256() { openssl dgst -sha256 "$1" | sed 's/.*= *//'; }
else
  fail "none of sha256sum, shasum or openssl is installed: the download cannot be verified, so it is not installed"
fi

tmp=$(mktemp -d 2>/dev/null || mktemp -d -t imhook)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

for f in "$sums" "$archive"; do
  fetch "$url/$f" "$tmp/$f" || fail "could not download $url/$f: is $version a release of imhook (https://github.com/imhook/imhook/releases)?"
done

want=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/$sums")
[ -n "$want" ] || fail "the checksums file $sums has no line for $archive: not installed"
got=$(sha256 "$tmp/$archive")
if [ "$got" != "$want" ]; then
  fail "checksum mismatch for $archive: $sums says $want, the download is $got; refusing to install (a damaged download or an altered release: try again, and report it if it persists)"
fi

mkdir "$tmp/x"
if [ "$ext" = zip ] && command -v unzip >/dev/null 2>&1; then
  unzip -q "$tmp/$archive" "$exe" -d "$tmp/x" || fail "could not unpack $exe from $archive"
else
  tar -xzf "$tmp/$archive" -C "$tmp/x" "$exe" 2>/dev/null || tar -xf "$tmp/$archive" -C "$tmp/x" "$exe" ||
    fail "could not unpack $exe from $archive"
fi
mkdir -p "$bindir" || fail "could not create $bindir: choose another directory with -b DIR or IMHOOK_INSTALL_DIR"
# Copy then rename, so that a running imhook is never overwritten in place.
if ! { cp "$tmp/x/$exe" "$bindir/.$exe.new" && chmod 755 "$bindir/.$exe.new" && mv -f "$bindir/.$exe.new" "$bindir/$exe"; }; then
  rm -f "$bindir/.$exe.new"
  fail "could not write $bindir/$exe: choose another directory with -b DIR or IMHOOK_INSTALL_DIR"
fi

say "installed $bindir/$exe ($archive, sha256 $got)"
case ":${PATH:-}:" in
  *":$bindir:"*) ;;
  *) say "$bindir is not on PATH: add it, or run $bindir/$exe" ;;
esac
"$bindir/$exe" version
