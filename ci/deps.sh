#!/usr/bin/env bash
# Installs the Debian 12 packages sendpath needs to build, test and cross-check. Idempotent:
# packages already present are left alone. Run as root (CI and the workplace machines are), or
# with sudo available.
set -euo pipefail

PACKAGES=(
  # build
  cmake ninja-build g++ pkg-config
  # the fuzz preset's libFuzzer binaries (ci/nightly-fuzz, ci/cflite-build-check); the other
  # presets build with g++ alone
  clang
  # libraries
  libssl-dev nlohmann-json3-dev libpcap-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
  # cross-check and report tests
  python3 python3-cryptography python3-scapy python3-jsonschema tshark openssl chromium
  # measurement
  time
  # fuzzing: ClusterFuzzLite seed-corpus archives (ci/cflite-build-check)
  zip unzip
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "ci/deps.sh: installing ${missing[*]}"
  $SUDO apt-get update -q
  # tshark asks whether non-root users may capture; the default (no) is right for CI.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
