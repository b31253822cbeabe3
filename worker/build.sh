#!/usr/bin/env bash
# Reproducible, cached build of the mediasoup worker binary (mediasoup@3.13.16
# from the npm registry) against Debian system libraries. See README.md.
#
# Last stdout line: absolute path of the worker binary. Everything else: stderr.
#
# Env:
#   MEDIASOUP_WORKER_BIN   if set and executable: printed, nothing else done.
#   HOCOVISIO_CACHE_DIR    cache root (default /var/cache/hocovisio).
#   MEDIASOUP_VERSION      npm version (default 3.13.16).
#   MS_BUILDTYPE           meson buildtype (default release).
set -euo pipefail

if [[ -n "${MEDIASOUP_WORKER_BIN:-}" && -x "${MEDIASOUP_WORKER_BIN}" && -f "${MEDIASOUP_WORKER_BIN}" ]]; then
  echo "$MEDIASOUP_WORKER_BIN"
  exit 0
fi

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export MEDIASOUP_VERSION="${MEDIASOUP_VERSION:-3.13.16}"
CACHE_DIR="${HOCOVISIO_CACHE_DIR:-/var/cache/hocovisio}"
BUILDTYPE="${MS_BUILDTYPE:-release}"
MESON_VERSION="1.4.1"
JOBS="${MS_BUILD_JOBS:-$(nproc)}"

log() { echo "build.sh: $*" >&2; }

# ---- cache key: version + build type + hash of the files in worker/ that
# drive the build (scripts, subproject stand-ins, patches). README excluded.
inputs_hash() {
  (cd "$HERE" && find . -type f \( -path './subprojects/*' -o -path './patches/*' -o -name 'build.sh' -o -name 'fetch-source.sh' -o -name 'deps.sh' \) -print0 \
    | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}
KEY="${MEDIASOUP_VERSION}-${BUILDTYPE}-$(inputs_hash)"
OUT_DIR="$CACHE_DIR/bin/$KEY"
OUT_BIN="$OUT_DIR/mediasoup-worker"

if [[ -x "$OUT_BIN" ]]; then
  log "cache hit ($KEY)"
  echo "$OUT_BIN"
  exit 0
fi

# ---- serialize concurrent builds sharing this cache (re-check after locking).
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build.lock"
if ! flock -n 9; then
  log "another build holds $CACHE_DIR/.build.lock; waiting"
  flock 9
fi
if [[ -x "$OUT_BIN" ]]; then
  log "cache hit ($KEY)"
  echo "$OUT_BIN"
  exit 0
fi

# ---- system packages (apt-get update only when something is missing).
APT_PKGS=(build-essential pkg-config ninja-build python3-venv
  libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev
  libflatbuffers-dev flatbuffers-compiler
  dpkg-dev perl util-linux binutils patch)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing apt packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
    $SUDO apt-get update >&2
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi

# ---- meson from PyPI in a private venv (Debian bookworm's meson is too old).
VENV="$CACHE_DIR/tools/meson-$MESON_VERSION"
if [[ ! -x "$VENV/bin/meson" ]]; then
  log "creating meson $MESON_VERSION venv in $VENV"
  rm -rf "$VENV"
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "meson==$MESON_VERSION" >&2
fi
MESON="$VENV/bin/meson"

# ---- mediasoup sources (npm pack), cached.
PKG_DIR="$("$HERE/fetch-source.sh" | tail -n1)"
[[ -d "$PKG_DIR/worker" ]] || { log "no worker/ in $PKG_DIR"; exit 1; }

# ---- statically built dependencies from Debian source (see README.md).
source "$HERE/deps.sh"
DEPS_PREFIX="$(build_static_deps)"   # prints prefix on stdout
export PKG_CONFIG_PATH="$DEPS_PREFIX/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"

# ---- build tree: pristine copy of mediasoup's worker/ + our subproject
# stand-ins placed where each wrap's `directory =` points. mediasoup's own
# files are not modified.
WORK="$CACHE_DIR/build/$KEY"
rm -rf "$WORK"
mkdir -p "$WORK"
cp -a "$PKG_DIR/worker" "$WORK/worker"
SRC="$WORK/worker"
for sp in "$HERE"/subprojects/*/; do
  name="$(basename "$sp")"
  wrap="$SRC/subprojects/$name.wrap"
  [[ -f "$wrap" ]] || { log "no $name.wrap in mediasoup"; exit 1; }
  dir="$(sed -n 's/^directory *= *//p' "$wrap" | tr -d '[:space:]')"
  rm -rf "$SRC/subprojects/$dir"
  cp -a "$sp" "$SRC/subprojects/$dir"
done
if compgen -G "$HERE/patches/*.patch" >/dev/null; then
  for p in "$HERE"/patches/*.patch; do
    log "applying $(basename "$p")"
    patch -d "$SRC" -p1 --forward --batch <"$p" >&2
  done
fi

log "configuring ($BUILDTYPE) in $WORK/build"
"$MESON" setup "$WORK/build" "$SRC" \
  --buildtype="$BUILDTYPE" \
  -Db_ndebug=if-release \
  --wrap-mode=nodownload \
  -Dms_disable_liburing=true >&2
# FlatBuffers headers first (the C++ sources include FBS/*.h).
"$MESON" compile -C "$WORK/build" -j "$JOBS" flatbuffers-generator >&2
"$MESON" compile -C "$WORK/build" -j "$JOBS" mediasoup-worker >&2

# The fix for the DTLS crash (README.md) relies on OpenSSL being linked in
# statically from $DEPS_PREFIX: refuse a binary that uses the system libssl.
if readelf -d "$WORK/build/mediasoup-worker" | grep -qE 'NEEDED.*lib(ssl|crypto)\.so'; then
  log "ERROR: worker links a shared libssl/libcrypto (expected static OpenSSL from $DEPS_PREFIX)"
  exit 1
fi

mkdir -p "$OUT_DIR"
cp "$WORK/build/mediasoup-worker" "$OUT_BIN.tmp"
mv "$OUT_BIN.tmp" "$OUT_BIN"
# Keep the build tree only on request (it is ~100s of MB).
[[ -n "${MS_KEEP_BUILD_TREE:-}" ]] || rm -rf "$WORK"
log "built $OUT_BIN"
echo "$OUT_BIN"
