#!/usr/bin/env bash
# Installs the Debian 12 / Ubuntu packages Hearth builds and tests with. Idempotent.
# Usage: deploy/install-deps.sh [--with-test-tools]
#   --with-test-tools  also installs what the integration tests start (registry, node/npm, python3-numpy, systemd-analyze)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  nlohmann-json3-dev libyaml-cpp-dev libboost-dev libcurl4-openssl-dev libssl-dev
  libpcre2-dev libutf8proc-dev libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
if [[ "${1:-}" == "--with-test-tools" ]]; then
  packages+=(docker-registry python3-numpy systemd)
  # Node.js runs the real-client compatibility tests; keep an existing (newer) installation.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "error: run as root or install sudo" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "installing: ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi
