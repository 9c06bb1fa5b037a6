#!/usr/bin/env bash
# Installs every Debian package KeepDB needs to build, test and benchmark, pinned by name,
# and the npm packages of the client-library tests (tests/clients/package-lock.json pins
# each version and its checksum). Run as root on Debian 12 (bookworm). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++-12 cmake make pkgconf git
  libasan8 libubsan1 libtsan2  # the sanitizer runtimes of scripts/test.sh (g++-12 pulls them in too)
  libboost1.81-dev libboost-program-options1.81-dev libboost-json1.81-dev
  libssl-dev zlib1g-dev liblmdb-dev lmdb-utils libraft-dev libtomlplusplus-dev
  catch2 libbenchmark-dev
  redis-tools redis-server python3-redis python3-prometheus-client nodejs
  clang-14 libclang-rt-14-dev
  etcd-server etcd-client golang-go golang-etcd-server-dev  # bench/cluster-compare.sh's reference
  linux-perf  # bench/ab.sh's COUNT
)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs ships npm separately; other builds of the nodejs package include it.
if dpkg-query -W -f='${Status}' nodejs 2>/dev/null | grep -q "install ok installed" &&
   ! command -v npm >/dev/null; then
  missing+=(npm)
fi
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if ! command -v npm >/dev/null; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends npm
  fi
fi

# ioredis and node-redis for tests/integration/commands/client_libraries_test.cpp, exactly
# as the lock file pins them; skipped while the installed tree matches the lock file.
clients=tests/clients
if ! cmp -s "$clients/package-lock.json" "$clients/node_modules/.package-lock.json.installed"; then
  echo "install-deps: installing the npm packages of $clients"
  npm ci --prefix "$clients" --no-audit --no-fund --loglevel=error
  cp "$clients/package-lock.json" "$clients/node_modules/.package-lock.json.installed"
fi
