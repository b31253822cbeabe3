#!/usr/bin/env bash
# Install the Debian packages the project needs, only those that are missing.
#   setup-system.sh run    what serving needs (building the mediasoup worker)
#   setup-system.sh test   what the tests and benchmarks add
set -euo pipefail
group=${1:-run}
run_packages=(
  # building the mediasoup worker (worker/build.sh)
  build-essential pkg-config ninja-build python3-venv dpkg-dev perl util-linux binutils patch
  libuv1-dev libsrtp2-dev libusrsctp-dev libabsl-dev libflatbuffers-dev flatbuffers-compiler
)
test_packages=(
  # end-to-end tests of the browser client (tests/e2e)
  chromium
  # the fake USB bus of the device tests (tests/devices)
  umockdev gir1.2-umockdev-1.0 libumockdev0
  # the TURN relay of the network tests (tests/turn_server.py)
  coturn
  # the load balancer in front of two instances (tests/load_balancer.py)
  nginx-light
  # ss, which reads the service's connections' TCP timers (tests/ops/test_vanished_client.py)
  iproute2
)
case "$group" in
  run) packages=("${run_packages[@]}") ;;
  test) packages=("${test_packages[@]}") ;;
  *) echo "usage: $0 run|test" >&2; exit 2 ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
