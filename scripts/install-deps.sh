#!/usr/bin/env bash
# Installs every Debian package KeepDB needs to build, test and benchmark, pinned by name.
# Run as root on Debian 12 (bookworm). Safe to run again.
set -euo pipefail

packages=(
  g++-12 cmake make pkgconf git
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  libssl-dev liblmdb-dev lmdb-utils libraft-dev libtomlplusplus-dev
  catch2 libbenchmark-dev
  redis-tools redis-server python3-redis python3-prometheus-client
  clang-14 libclang-rt-14-dev
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
