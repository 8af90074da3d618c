#!/usr/bin/env bash
# Builds the release bundle: dist/leadhub-VERSION-linux-ARCH.tar.gz holding one folder with
#   leadhub            the release binary, Swift standard library linked in statically
#   Resources/ Public/ views, tracker, styles (LEADHUB_RESOURCES_DIR points at the folder)
#   deploy/            install.sh, the systemd unit and the nginx sites
#   docs/DEPLOY.md, docs/OPERATIONS.md, VERSION
#
#   deploy/build-release.sh [--version V] [--out DIR] [--binary PATH]
#
# --binary packages an already built binary instead of building (tests of the bundle itself).
# Build on the same Debian/Ubuntu release as the server (glibc is linked dynamically).
set -euo pipefail
cd "$(dirname "$0")/.."
version=""
out="dist"
binary=""
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "build-release.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$version" ]; then
  version=$(git describe --tags --always --dirty 2>/dev/null || date -u +%Y%m%d%H%M%S)
fi
case "$version" in
  *[!A-Za-z0-9._-]*|"") echo "build-release.sh: version '$version' must be letters, digits, . _ -" >&2; exit 2 ;;
esac
arch=$(uname -m)

if [ -z "$binary" ]; then
  echo "Building the release binary (static Swift standard library)…"
  swift build -c release --static-swift-stdlib --product leadhub --scratch-path .build-release
  binary=.build-release/release/leadhub
fi
[ -x "$binary" ] || { echo "build-release.sh: no binary at $binary" >&2; exit 1; }

name="leadhub-$version"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
bundle="$stage/$name"
mkdir -p "$bundle/deploy" "$bundle/docs"
cp "$binary" "$bundle/leadhub"
strip "$bundle/leadhub" 2>/dev/null || true
cp -r Resources Public "$bundle/"
cp deploy/install.sh deploy/leadhub.service deploy/nginx-leadhub.conf deploy/nginx-leadhub-http.conf "$bundle/deploy/"
cp docs/DEPLOY.md docs/OPERATIONS.md "$bundle/docs/"
chmod 755 "$bundle/leadhub" "$bundle/deploy/install.sh"
echo "$version" > "$bundle/VERSION"
mkdir -p "$out"
tarball="$out/$name-linux-$arch.tar.gz"
tar -C "$stage" -czf "$tarball" "$name"
sha256sum "$tarball" | sed "s#  .*/#  #" > "$tarball.sha256"
echo "$tarball ($(du -h "$tarball" | cut -f1)), sha256 in $tarball.sha256"
