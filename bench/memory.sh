#!/usr/bin/env bash
# memory.sh: resident memory per million 100-byte keys, KeepDB vs Redis. Starts a plain
# keepd and a durable Redis (appendonly yes, appendfsync always), writes the same N keys
# (key:0000000 ... with 100-byte values) into each with `redis-cli --pipe`, checks DBSIZE,
# and prints each server's resident memory before and after (VmRSS, split into anonymous
# memory and file pages mapped from disk: LMDB's map) and the growth per million keys,
# with the size of each data folder on disk.
#
# Usage: bench/memory.sh            (builds a Release keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  N=1000000  OUT=/tmp/keepdb-memory  PORT_BASE=6521
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N=${N:-1000000}
OUT=${OUT:-/tmp/keepdb-memory}
PORT_BASE=${PORT_BASE:-6521}
if [ -z "${KEEPD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=ON -DKEEPDB_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench -j2 --target keepd >/dev/null
  KEEPD=build-bench/kernel/cli/keepd
fi

rm -rf "$OUT" && mkdir -p "$OUT/keepdb" "$OUT/redis" && chmod 700 "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

cat >"$OUT/keepdb/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
[client]
host = "127.0.0.1"
port = $PORT_BASE
[limits]
# Off: keepd cuts a long redis-cli --pipe stream after request_timeout_ms as a "slow or
# stalled sender" (the clock of a partial request is not reset while whole requests keep
# arriving; see bench/README.md, "Memory").
request_timeout_ms = 0
TOML
"$KEEPD" run --config "$OUT/keepdb/node.toml" 2>"$OUT/keepdb/log" &
PIDS+=($!)
KEEPDB_PID=$!
durable_redis "$OUT/redis" $((PORT_BASE + 1))
PIDS+=("$REDIS_PID")

wait_for_ping -p "$PORT_BASE"
wait_for_ping -p $((PORT_BASE + 1))

# The load, in RESP, written once: SET key:<7 digits> <100 bytes>.
VALUE=$(printf 'v%.0s' $(seq 100))
awk -v n="$N" -v v="$VALUE" 'BEGIN {
  for (i = 0; i < n; i++) printf "*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$100\r\n%s\r\n", i, v }' >"$OUT/load.resp"

rss_kb() {  # PID -> "VmRSS RssAnon RssFile" in kB
  awk '/^(VmRSS|RssAnon|RssFile):/ { v[$1] = $2 } END { print v["VmRSS:"], v["RssAnon:"], v["RssFile:"] }' "/proc/$1/status"
}

printf '%-7s %12s %12s %12s %12s %16s %12s\n' server "RSS MiB" "anon MiB" "file MiB" "keys" \
  "RSS per M keys" "disk MiB"
measure() {  # label pid port data-dir
  local before after keys
  read -r -a before <<<"$(rss_kb "$2")"
  redis-cli -p "$3" --pipe <"$OUT/load.resp" >"$OUT/$1.pipe" 2>&1 ||
    { echo "$1: redis-cli --pipe failed: $(cat "$OUT/$1.pipe")" >&2; exit 1; }
  keys=$(redis-cli -p "$3" dbsize)
  [ "$keys" = "$N" ] || { echo "$1: DBSIZE $keys after writing $N keys" >&2; exit 1; }
  read -r -a after <<<"$(rss_kb "$2")"
  awk -v l="$1" -v r="${after[0]}" -v a="${after[1]}" -v f="${after[2]}" -v r0="${before[0]}" \
    -v k="$keys" -v d="$(du -sk "$4" | cut -f1)" 'BEGIN {
      printf "%-7s %12.1f %12.1f %12.1f %12d %12.1f MiB %12.1f\n",
        l, r / 1024, a / 1024, f / 1024, k, (r - r0) / 1024 * 1e6 / k, d / 1024 }'
}
measure keepdb "$KEEPDB_PID" "$PORT_BASE" "$OUT/keepdb/data"
measure redis "$REDIS_PID" $((PORT_BASE + 1)) "$OUT/redis"
echo "(RSS per M keys: growth of VmRSS over the load, scaled to a million keys. Logs in $OUT.)"
