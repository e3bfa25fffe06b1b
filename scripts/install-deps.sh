#!/usr/bin/env bash
# Installs mixq's build dependencies from Debian 12 packages (nothing else is downloaded).
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config ccache
  nlohmann-json3-dev libfmt-dev libcli11-dev libsentencepiece-dev libpcre2-dev
  libgtest-dev libgmock-dev googletest libbenchmark-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
