#!/usr/bin/env bash
# Fetch mediasoup@${MEDIASOUP_VERSION} from the npm registry (npm pack) into the
# cache dir and unpack it. Idempotent. Prints the absolute path of the unpacked
# package dir (the one containing worker/) as the last stdout line; everything
# else goes to stderr.
set -euo pipefail
MEDIASOUP_VERSION="${MEDIASOUP_VERSION:-3.13.16}"
CACHE_DIR="${HOCOVISIO_CACHE_DIR:-/var/cache/hocovisio}"
SRC_ROOT="$CACHE_DIR/src"
PKG_DIR="$SRC_ROOT/mediasoup-$MEDIASOUP_VERSION"
TGZ="$SRC_ROOT/mediasoup-$MEDIASOUP_VERSION.tgz"

if [[ -f "$PKG_DIR/.unpacked" && -d "$PKG_DIR/worker" ]]; then
  echo "$PKG_DIR"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-source.sh: npm is required" >&2; exit 1; }
mkdir -p "$SRC_ROOT"
if [[ ! -s "$TGZ" ]]; then
  tmpd="$(mktemp -d "$SRC_ROOT/.pack.XXXXXX")"
  trap 'rm -rf "$tmpd"' EXIT
  (cd "$tmpd" && npm pack "mediasoup@$MEDIASOUP_VERSION" --silent >&2)
  mv "$tmpd/mediasoup-$MEDIASOUP_VERSION.tgz" "$TGZ"
fi
tmpu="$(mktemp -d "$SRC_ROOT/.unpack.XXXXXX")"
tar -xzf "$TGZ" -C "$tmpu"
rm -rf "$PKG_DIR"
mv "$tmpu/package" "$PKG_DIR"
rmdir "$tmpu"
touch "$PKG_DIR/.unpacked"
echo "fetch-source.sh: unpacked mediasoup@$MEDIASOUP_VERSION into $PKG_DIR" >&2
echo "$PKG_DIR"
