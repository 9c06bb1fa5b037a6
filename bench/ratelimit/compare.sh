#!/usr/bin/env bash
# compare.sh: the cost of the ratelimit plugin on a whole server. Two keepd nodes, one with
# no plugins and one with ratelimit configured with every limit on but none reached, take
# the same redis-benchmark load (c50 SET, 256 B values) in alternating rounds; prints each
# round and the median throughput and p50 of each, with the ratio.
#
# Usage: bench/ratelimit/compare.sh        (builds a Release keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  N=100000  ROUNDS=5  OUT=/tmp/keepdb-ratelimit-bench
# Everything runs on 127.0.0.1; both servers are started here and stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-100000}
ROUNDS=${ROUNDS:-5}
OUT=${OUT:-/tmp/keepdb-ratelimit-bench}
PORT_PLAIN=${PORT_PLAIN:-6511}
PORT_LIMITED=${PORT_LIMITED:-6512}

if [ -z "${KEEPD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=OFF -DKEEPDB_BUILD_BENCH=OFF >/dev/null
  cmake --build build-bench -j2 --target keepd keepdb_ratelimit >/dev/null
  KEEPD=build-bench/kernel/cli/keepd
fi
RATELIMIT_SO=$(dirname "$KEEPD")/../../plugins/ratelimit/libkeepdb_ratelimit.so

rm -rf "$OUT" && mkdir -p -m 700 "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

node() {  # name port [plugin options...]: writes the config and starts keepd
  local dir="$OUT/$1"
  mkdir -m 700 "$dir"
  cat >"$dir/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
[client]
host = "127.0.0.1"
port = $2
[limits]
idle_timeout_ms = 0
TOML
  if [ $# -gt 2 ]; then
    mkdir -m 755 "$dir/plugins"
    install -m 755 "$RATELIMIT_SO" "$dir/plugins/"
    printf '[plugins]\ndir = "plugins"\n[[plugin]]\nname = "limits"\npath = "libkeepdb_ratelimit.so"\n[plugin.options]\n' >>"$dir/node.toml"
    shift 2
    printf '%s\n' "$@" >>"$dir/node.toml"
  fi
  "$KEEPD" run --config "$dir/node.toml" >"$dir/log" 2>&1 & PIDS+=($!)
}

wait_for_port() {  # port: poll PING with a 10 s deadline
  local deadline=$((SECONDS + 10))
  until redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; do
    [ $SECONDS -lt $deadline ] || { echo "server on port $1 did not start" >&2; exit 1; }
    sleep 0.05
  done
}

node plain "$PORT_PLAIN"
node limited "$PORT_LIMITED" \
  'connections_per_ip = "1000"' \
  'new_connections_per_ip_per_second = "10000"' \
  'commands_per_second_per_connection = "1000000"' \
  'commands_per_second_per_principal = "10000000"' \
  'bytes_per_second_per_connection = "1000000000"' \
  'command_costs = "scan=10,keys=100,flushdb=1000"' \
  'auth_failure_limit = "10"'
wait_for_port "$PORT_PLAIN"; wait_for_port "$PORT_LIMITED"

run() {  # port -> "rps p50"
  redis-benchmark -p "$1" -t set -d 256 -c 50 -n "$N" --csv 2>/dev/null |
    awk -F'","' '/^"SET"/ { gsub(/"/, "", $0); split($0, f, ","); printf "%s %s\n", f[2], f[5] }'
}

printf '%-6s %14s %9s %14s %9s\n' round "plain op/s" "p50 ms" "ratelimit op/s" "p50 ms"
for round in $(seq "$ROUNDS"); do
  read -r a ap <<<"$(run "$PORT_PLAIN")"
  read -r b bp <<<"$(run "$PORT_LIMITED")"
  printf '%-6s %14.0f %9.3f %14.0f %9.3f\n' "$round" "$a" "$ap" "$b" "$bp" | tee -a "$OUT/rounds"
done
median() { sort -n -k"$1" "$OUT/rounds" | awk -v k="$1" '{ v[NR] = $k } END { print v[int((NR + 1) / 2)] }'; }
awk -v a="$(median 2)" -v b="$(median 4)" \
  'BEGIN { printf "median c50 SET: plain %.0f op/s, ratelimit %.0f op/s, ratio %.3f\n", a, b, b / a }'
if grep -q "rate limit exceeded\|denials" "$OUT/limited/log"; then
  echo "warning: the ratelimit node refused requests; see $OUT/limited/log" >&2
fi
echo "(Logs and data in $OUT.)"
