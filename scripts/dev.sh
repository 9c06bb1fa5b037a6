#!/usr/bin/env bash
# Quick start, command 1: install dependencies, build keepd, and run a dev node on
# 127.0.0.1:6379 with profiles/dev.toml (data in ./data/dev). Ctrl-C stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEPDB_BUILD_TESTS=OFF -DKEEPDB_BUILD_BENCH=OFF >/dev/null
cmake --build build -j"$(nproc)" --target keepd
exec build/kernel/cli/keepd run --config profiles/dev.toml "$@"
