#!/usr/bin/env bash
# The third-party flow, end to end: install the plugin SDK from this build into a prefix,
# build each example of examples/ (hello, an authenticator; admission; audit; transport)
# against that prefix only, then check that the kernel lists and loads each one and that
# the plugin test harness (keepd plugins test) drives it and its misbehaviour checks pass.
# usage: run_example.sh BUILD_DIR SOURCE_DIR WORK_DIR ABI_TESTS [KEEPD]
set -euo pipefail
build_dir=$1 source_dir=$2 work=$3 abi_tests=$4 keepd=${5:-}

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build_dir" --component plugin_sdk --prefix "$work/prefix" >/dev/null
install -d -m 0700 "$work/plugins"
# Only the installed SDK is visible: no KeepDB source directory is passed.
for example in hello admission audit transport; do
  cmake -S "$source_dir/examples/plugin-$example" -B "$work/build-$example" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
  cmake --build "$work/build-$example" >/dev/null
  install -m 0755 "$work/build-$example"/libkeepdb_*.so "$work/plugins/"
done

# The loader and auth chain, directly (the [example] test reads this variable).
KEEPDB_HELLO_PLUGIN="$work/plugins/libkeepdb_hello.so" "$abi_tests" "[example]"

if [ -z "$keepd" ] || [ ! -x "$keepd" ]; then
  echo "note: keepd is not built; the examples were checked through the plugin host only"
  exit 0
fi

"$keepd" plugins list --dir "$work/plugins" --json | tee "$work/list.json"
for name in hello deny-commands audit-lines greeting; do
  grep -q "\"name\":\"$name\"" "$work/list.json"
done
if grep -q '"status":"[^o]' "$work/list.json"; then
  echo "a plugin did not load" >&2
  exit 1
fi

# Runs `keepd plugins test` with the arguments given, output in $work/$1.out; the harness
# exits non-zero on any failure, expectation mismatch or failed check.
harness() {
  local out=$1
  shift
  "$keepd" plugins test "$@" | tee "$work/$out.out"
}

harness hello "$work/plugins/libkeepdb_hello.so" \
  --option user=alice --option password=example-password --option roles=read,write \
  --auth alice:example-password --expect accept \
  --auth alice:wrong-password --expect reject \
  --auth bob:example-password --expect defer --checks
grep -qx 'auth 1: accept principal alice roles read,write' "$work/hello.out"
if grep -q 'example-password' "$work/hello.out"; then
  echo "plugins test printed a secret" >&2
  exit 1
fi

harness admission "$work/plugins/libkeepdb_deny_commands.so" \
  --option commands=flushdb,keys --option allow_principal=ops \
  --admit connect --admit command:get --admit command:keys --admit command:flushdb \
  --expect-admit admitted --expect-admit admitted --expect-admit denied --expect-admit denied \
  --checks
grep -qx "admit 3: denied (command 'keys' is not allowed here)" "$work/admission.out"
harness admission-ops "$work/plugins/libkeepdb_deny_commands.so" \
  --option commands=flushdb,keys --option allow_principal=ops \
  --principal ops --admit command:keys --expect-admit admitted

harness audit "$work/plugins/libkeepdb_audit_lines.so" \
  --config-dir "$work" --option path=audit.log --principal bob \
  --record write:set:admitted:key=greeting --record auth_fail:auth:failed --checks
grep -q ' 7 set admitted principal=bob peer=127.0.0.1:50000 key=greeting$' "$work/audit.log"

harness transport "$work/plugins/libkeepdb_greeting.so" \
  --transport 'feed:HELLO ann\nPING\r\n' --transport 'send:+PONG\r\n' --transport close --checks
grep -q 'to peer 8 bytes "WELCOME\\x0a"; plaintext 6 bytes "PING\\x0d\\x0a"' "$work/transport.out"
grep -q 'transport 2: send 7 bytes, took 7; to peer 7 bytes "+PONG\\x0d\\x0a"' "$work/transport.out"
