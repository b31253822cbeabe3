# shellcheck shell=bash
# Sourced by build.sh (uses CACHE_DIR and log()).
#
# build_static_deps: builds OpenSSL from its Debian source package
# (`apt-get source openssl`, Debian patches applied) as a static library
# WITHOUT kernel TLS (no-ktls), like the OpenSSL that mediasoup pins and links
# statically (its openssl.wrap: OpenSSL 3.0.8, no KTLS). Debian's libssl3 is
# built with KTLS, which makes mediasoup's DTLS BIO callback crash the worker;
# see README.md. Result cached under $CACHE_DIR/deps/openssl-<debian version>.
# Prints the install prefix (the last stdout line).

_deb_src_list() {
  # Ensure a deb-src entry exists for the suites of the configured apt sources.
  if grep -rqsE '^(deb-src |Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    return 0
  fi
  local SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  log "adding deb-src entries (hocovisio-src.sources) and running apt-get update"
  $SUDO tee /etc/apt/sources.list.d/hocovisio-src.sources >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  $SUDO apt-get update >&2
}

build_static_deps() {
  local srcdir="$CACHE_DIR/deps/src"
  mkdir -p "$srcdir"
  # Download the Debian source once; later runs reuse the cached .dsc.
  local dsc
  dsc="$(ls -1 "$srcdir"/openssl_*.dsc 2>/dev/null | sort -V | tail -n1 || true)"
  if [[ -z "$dsc" ]]; then
    _deb_src_list
    # Newest bookworm version whose source files the mirror actually serves
    # (mirrors sometimes list a security version whose .dsc is missing).
    local v tmp
    for v in $(apt-cache showsrc openssl | awk '/^Version:/{print $2}' | sort -rV | uniq); do
      log "fetching Debian source package: openssl=$v"
      tmp="$(mktemp -d "$srcdir/.dl.XXXXXX")"
      chmod 755 "$tmp"
      if (cd "$tmp" && apt-get source --download-only "openssl=$v" >&2); then
        mv "$tmp"/* "$srcdir"/
        rm -rf "$tmp"
        break
      fi
      rm -rf "$tmp"
    done
    dsc="$(ls -1 "$srcdir"/openssl_*.dsc 2>/dev/null | sort -V | tail -n1 || true)"
    [[ -n "$dsc" ]] || { log "could not download the openssl Debian source package"; return 1; }
  fi
  local ver; ver="$(basename "$dsc" .dsc)"; ver="${ver#openssl_}"
  local prefix="$CACHE_DIR/deps/openssl-$ver-static-noktls"
  if [[ -f "$prefix/.done" ]]; then
    echo "$prefix"
    return 0
  fi
  log "building static OpenSSL $ver (no-ktls) into $prefix"
  local work="$CACHE_DIR/deps/build-openssl-$ver"
  rm -rf "$work" "$prefix"
  mkdir -p "$work"
  dpkg-source --no-check -x "$dsc" "$work/src" >&2
  (
    cd "$work/src"
    ./Configure linux-x86_64 \
      --prefix="$prefix" --libdir=lib --openssldir=/usr/lib/ssl \
      no-shared no-ktls no-tests no-ui-console no-engine no-module \
      -fPIC >&2
    make -j"${JOBS:-2}" build_libs >&2
    make install_dev >&2
  )
  rm -rf "$work"
  touch "$prefix/.done"
  echo "$prefix"
}
