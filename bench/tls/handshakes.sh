#!/usr/bin/env bash
# handshakes.sh: TLS handshakes per second against one keepd with plugins/tls on its client
# listener (certificates from scripts/gen-certs.sh, TLS 1.3, tickets on by default):
# full handshakes with `openssl s_time -new` (OpenSSL's own tool, for reference) and with
# handshake_rate, and resumed handshakes (a ticket) with handshake_rate, which s_time cannot
# do over TLS 1.3. For the machine's ceiling at the time, `openssl s_time -new` also runs
# against `openssl s_server` with the same certificate. One connection at a time; ROUNDS
# rounds, then the median of each.
#
# Usage: bench/tls/handshakes.sh   (builds a Release keepd, plugins/tls and handshake_rate
#                                   into build-bench/)
# Knobs (env): BUILD=build-bench  SECONDS_EACH=5  ROUNDS=3  OUT=/tmp/keepdb-handshakes  PORT=6531
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh

SECONDS_EACH=${SECONDS_EACH:-5}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-/tmp/keepdb-handshakes}
PORT=${PORT:-6531}
if [ -z "${BUILD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=ON -DKEEPDB_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench -j2 --target keepd keepdb_tls handshake_rate >/dev/null
  BUILD=build-bench
fi
BUILD=$(cd "$BUILD" && pwd)

rm -rf "$OUT" && mkdir -p "$OUT/plugins" && chmod 700 "$OUT" "$OUT/plugins"
cp "$BUILD/plugins/tls/libkeepdb_tls.so" "$OUT/plugins/"
scripts/gen-certs.sh "$OUT/certs" 1 2>/dev/null
cat >"$OUT/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
[client]
host = "127.0.0.1"
port = $PORT
transport = "tls"
[plugins]
dir = "plugins"
[[plugin]]
name = "tls"
path = "libkeepdb_tls.so"
[plugin.options]
cert_file = "certs/node1.pem"
key_file = "certs/node1.key"
TOML
"$BUILD/kernel/cli/keepd" run --config "$OUT/node.toml" 2>"$OUT/log" &
PIDS=($!)
(cd "$OUT" && exec openssl s_server -quiet -accept $((PORT + 1)) -cert certs/node1.pem \
  -key certs/node1.key >/dev/null 2>&1) &
PIDS+=($!)
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true' EXIT
CA=$OUT/certs/ca.pem
wait_for_ping -p "$PORT" --tls --cacert "$CA" || { echo "see $OUT/log" >&2; exit 1; }

s_time_new() {  # port -> connections per second (s_time's count over its wall-clock seconds)
  openssl s_time -connect "127.0.0.1:$1" -CAfile "$CA" -new -time "$SECONDS_EACH" 2>&1 |
    awk '/connections in [0-9]+ real seconds/ { printf "%.0f\n", $1 / $4 }'
}
rate() { "$BUILD/bench/tls/handshake_rate" 127.0.0.1 "$PORT" "$CA" "$SECONDS_EACH" "$1" | awk '{ print $4 }'; }

line() { printf '%-6s %16s %16s %16s %16s\n' "$@"; }
line "" "s_server" keepd keepd keepd
line round "s_time -new /s" "s_time -new /s" "full + PING /s" "resumed + PING /s"
for ((round = 1; round <= ROUNDS; round++)); do
  echo "$(s_time_new $((PORT + 1))) $(s_time_new "$PORT") $(rate full) $(rate resumed)" >>"$OUT/rounds"
  # shellcheck disable=SC2046 # the four figures of the round
  line "$round" $(tail -1 "$OUT/rounds")
done
# shellcheck disable=SC2046 # the four medians
line median $(medians <"$OUT/rounds")
echo "(One connection at a time; keepd, the client and other work share the machine's cores. Logs in $OUT.)"
