#!/usr/bin/env bash
# redis-compare.sh: the same redis-benchmark load against KeepDB and against a durable
# Redis (AOF, appendfsync always) started by this script, in one run, printing a table of
# throughput and p50 latency with the KeepDB/Redis ratio. A second KeepDB row set runs with
# the auth-token plugin configured (clients AUTH first) to show the cost of authentication,
# and a third with plugins/tls as the client transport (redis-benchmark --tls, certificates
# from scripts/gen-certs.sh) to show the cost of TLS against the plain rows.
#
# Usage: bench/redis-compare.sh            (builds a Release keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  N_C1=5000  N_C50=100000  N_P16=300000  OUT=/tmp/keepdb-bench
# Everything runs on 127.0.0.1; every server is started here, tracked by PID, stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."

N_C1=${N_C1:-5000}
N_C50=${N_C50:-100000}
N_P16=${N_P16:-300000}
OUT=${OUT:-/tmp/keepdb-bench}
PORT_KEEPDB=${PORT_KEEPDB:-6501}
PORT_REDIS=${PORT_REDIS:-6502}
PORT_AUTH=${PORT_AUTH:-6503}
PORT_TLS=${PORT_TLS:-6504}

if [ -z "${KEEPD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=OFF -DKEEPDB_BUILD_BENCH=OFF >/dev/null
  cmake --build build-bench -j"$(nproc)" --target keepd keepdb_auth_token keepdb_tls >/dev/null
  KEEPD=build-bench/kernel/cli/keepd
fi
AUTH_SO=$(dirname "$KEEPD")/../../plugins/auth-token/libkeepdb_auth_token.so
TLS_SO=$(dirname "$KEEPD")/../../plugins/tls/libkeepdb_tls.so

rm -rf "$OUT" && mkdir -p -m 700 "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for_port() {  # port [password]: poll PING with a 10 s deadline
  local deadline=$((SECONDS + 10))
  until redis-cli -p "$1" ${2:+-a "$2" --no-auth-warning} ping 2>/dev/null | grep -q PONG; do
    [ $SECONDS -lt $deadline ] || { echo "server on port $1 did not start" >&2; exit 1; }
    sleep 0.05
  done
}

keepdb_config() {  # dir port [plugins|tls]
  cat >"$1/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
[client]
host = "127.0.0.1"
port = $2
$([ "${3:-}" = tls ] && echo 'transport = "tls"')
[limits]
idle_timeout_ms = 0
TOML
  if [ "${3:-}" = tls ]; then
    cat >>"$1/node.toml" <<TOML
[plugins]
dir = "plugins"
[[plugin]]
name = "tls"
path = "libkeepdb_tls.so"
[plugin.options]
cert_file = "certs/node1.pem"
key_file = "certs/node1.key"
TOML
  elif [ -n "${3:-}" ]; then
    cat >>"$1/node.toml" <<TOML
[plugins]
dir = "plugins"
[[plugin]]
name = "tokens"
path = "libkeepdb_auth_token.so"
[plugin.options]
secrets_file = "$1/secrets"
TOML
  fi
}

# KeepDB without plugins.
mkdir -m 700 "$OUT/keepdb"
keepdb_config "$OUT/keepdb" "$PORT_KEEPDB"
"$KEEPD" run --config "$OUT/keepdb/node.toml" 2>"$OUT/keepdb/log" & PIDS+=($!)

# KeepDB with the auth-token plugin.
TOKEN=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
mkdir -m 700 "$OUT/auth" "$OUT/auth/plugins"
cp "$AUTH_SO" "$OUT/auth/plugins/"
printf '%s read,write,admin bench\n' "$(printf %s "$TOKEN" | "$KEEPD" token hash)" >"$OUT/auth/secrets"
chmod 600 "$OUT/auth/secrets"
keepdb_config "$OUT/auth" "$PORT_AUTH" plugins
"$KEEPD" run --config "$OUT/auth/node.toml" 2>"$OUT/auth/log" & PIDS+=($!)

# Redis, durable like KeepDB: every write fsynced before the reply.
mkdir -m 700 "$OUT/redis"
redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save '' --dir "$OUT/redis" \
  --appendonly yes --appendfsync always >"$OUT/redis/log" 2>&1 & PIDS+=($!)

# KeepDB with plugins/tls on its client listener.
mkdir -m 700 "$OUT/tls" "$OUT/tls/plugins"
cp "$TLS_SO" "$OUT/tls/plugins/"
scripts/gen-certs.sh "$OUT/tls/certs" 1 2>/dev/null
keepdb_config "$OUT/tls" "$PORT_TLS" tls
"$KEEPD" run --config "$OUT/tls/node.toml" 2>"$OUT/tls/log" & PIDS+=($!)
TLS_ARGS="--tls --cacert $OUT/tls/certs/ca.pem"

wait_for_port "$PORT_KEEPDB"; wait_for_port "$PORT_REDIS"; wait_for_port "$PORT_AUTH" "$TOKEN"
deadline=$((SECONDS + 10))
until redis-cli -p "$PORT_TLS" $TLS_ARGS ping 2>/dev/null | grep -q PONG; do
  [ $SECONDS -lt $deadline ] || { echo "server on port $PORT_TLS did not start" >&2; exit 1; }
  sleep 0.05
done

run() {  # port clients pipeline requests [password] [redis-benchmark args] -> "SET_rps SET_p50 GET_rps GET_p50"
  # shellcheck disable=SC2086 # $6 is a list of arguments
  redis-benchmark -p "$1" ${5:+-a "$5"} ${6:-} -t set,get -d 256 -c "$2" -P "$3" -n "$4" --csv 2>/dev/null |
    awk -F'","' '/^"(SET|GET)"/ { gsub(/"/, "", $0); split($0, f, ","); printf "%s %s ", f[2], f[5] }'
}

printf '%-28s %12s %9s %12s %9s %9s\n' "load (256 B values)" "KeepDB op/s" "p50 ms" "Redis op/s" "p50 ms" "ratio"
row() {  # label clients pipeline requests keepdb_port [password]
  read -r ks kp kg kgp <<<"$(run "$5" "$2" "$3" "$4" "${6:-}")"
  read -r rs rp rg rgp <<<"$(run "$PORT_REDIS" "$2" "$3" "$4")"
  awk -v l="$1 SET" -v a="$ks" -v ap="$kp" -v b="$rs" -v bp="$rp" \
    'BEGIN { printf "%-28s %12.0f %9.3f %12.0f %9.3f %9.2f\n", l, a, ap, b, bp, a / b }'
  awk -v l="$1 GET" -v a="$kg" -v ap="$kgp" -v b="$rg" -v bp="$rgp" \
    'BEGIN { printf "%-28s %12.0f %9.3f %12.0f %9.3f %9.2f\n", l, a, ap, b, bp, a / b }'
}
row "c1 P1" 1 1 "$N_C1" "$PORT_KEEPDB"
row "c50 P1" 50 1 "$N_C50" "$PORT_KEEPDB"
row "c1 P16" 1 16 "$N_C50" "$PORT_KEEPDB"
row "c50 P16" 50 16 "$N_P16" "$PORT_KEEPDB"
row "c50 P1, auth-token" 50 1 "$N_C50" "$PORT_AUTH" "$TOKEN"

printf '\n%-28s %12s %9s %12s %9s %9s\n' "load (256 B values)" "TLS op/s" "p50 ms" "plain op/s" "p50 ms" "ratio"
tls_row() {  # label clients requests: KeepDB over TLS against plain KeepDB
  read -r ts tp tg tgp <<<"$(run "$PORT_TLS" "$2" 1 "$3" "" "$TLS_ARGS")"
  read -r ps pp pg pgp <<<"$(run "$PORT_KEEPDB" "$2" 1 "$3")"
  awk -v l="$1 SET" -v a="$ts" -v ap="$tp" -v b="$ps" -v bp="$pp" \
    'BEGIN { printf "%-28s %12.0f %9.3f %12.0f %9.3f %9.2f\n", l, a, ap, b, bp, a / b }'
  awk -v l="$1 GET" -v a="$tg" -v ap="$tgp" -v b="$pg" -v bp="$pgp" \
    'BEGIN { printf "%-28s %12.0f %9.3f %12.0f %9.3f %9.2f\n", l, a, ap, b, bp, a / b }'
}
tls_row "c1 P1, TLS" 1 "$N_C1"
tls_row "c50 P1, TLS" 50 "$N_C50"
echo "(Redis: appendonly yes, appendfsync always. Logs and data in $OUT.)"
