#!/usr/bin/env bash
# The third-party flow, end to end: install the plugin SDK from this build into a prefix,
# build examples/plugin-hello against that prefix only, then check that the kernel lists
# and loads the result and that the plugin test harness (keepd plugins test) drives it.
# usage: run_example.sh BUILD_DIR SOURCE_DIR WORK_DIR ABI_TESTS [KEEPD]
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3 abi_tests=$4 keepd=${5:-}

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --component plugin_sdk --prefix "$work/prefix" >/dev/null
# Only the installed SDK is visible: no KeepDB source directory is passed.
cmake -S "$source_dir/examples/plugin-hello" -B "$work/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
install -d -m 0700 "$work/plugins"
install -m 0755 "$work/build/libkeepdb_hello.so" "$work/plugins/"

# The loader and auth chain, directly (the [example] test reads this variable).
KEEPDB_HELLO_PLUGIN="$work/plugins/libkeepdb_hello.so" "$abi_tests" "[example]"

if [ -n "$keepd" ] && [ -x "$keepd" ]; then
  "$keepd" plugins list --dir "$work/plugins" --json | tee "$work/list.json"
  grep -q '"status":"ok"' "$work/list.json"
  grep -q '"name":"hello"' "$work/list.json"
  grep -q '"abi":"1.0"' "$work/list.json"
  "$keepd" plugins test "$work/plugins/libkeepdb_hello.so" \
    --option user=alice --option password=example-password --option roles=read,write \
    --auth alice:example-password --expect accept \
    --auth alice:wrong-password --expect reject \
    --auth bob:example-password --expect defer | tee "$work/test.out"
  grep -qx 'auth 1: accept principal alice roles read,write' "$work/test.out"
  if grep -q 'example-password' "$work/test.out"; then
    echo "plugins test printed a secret" >&2
    exit 1
  fi
else
  echo "note: keepd is not built; the example was checked through the plugin host only"
fi
