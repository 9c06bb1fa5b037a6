#!/usr/bin/env bash
# redis-compare.sh: the same redis-benchmark load against KeepDB and against a durable
# Redis (AOF, appendfsync always) started by this script, in one run. The first table gives
# throughput, p50 latency and server CPU time per operation (user+sys of the server process
# from /proc/PID/stat, before and after each load, over the operations) with KeepDB/Redis
# ratios. The second table gives the cost of each security provider: KeepDB with the
# provider loaded against the plain KeepDB, rounds alternating between the two, and the
# headline row: all the client-side providers of profiles/prod.toml together, with the
# profile's options; two rows move the client sockets (plain, then TLS) to I/O threads
# ([client] io_threads = IO_THREADS), and the last row is the reference: Redis on TLS
# against the same Redis on plain TCP. A row is a config fragment (variant_* below) plus
# one `plugin_row` line.
#
# Usage: bench/redis-compare.sh            (builds a Release keepd and plugins into build-bench/)
# Knobs (env): KEEPD=path/to/keepd (its build tree must hold the plugins and test fixtures)
#   N_C1=5000 N_C50=50000 N_P16=300000 ROUNDS=3 (medians are printed) KEYSPACE= (-r N: random
#   keys) ONLY= (a pattern: run only the provider rows whose label matches; "none" skips them)
#   OUT=/tmp/keepdb-bench PORT_BASE=6501 (ports PORT_BASE, PORT_BASE+1, ...)
#   IO_THREADS=1 ([client] io_threads of the two I/O-thread rows)
# Everything runs on 127.0.0.1; every server is started here, tracked by PID, stopped by PID.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

N_C1=${N_C1:-5000}
N_C50=${N_C50:-50000}
N_P16=${N_P16:-300000}
ROUNDS=${ROUNDS:-3}
IO_THREADS=${IO_THREADS:-1}
KEYSPACE=${KEYSPACE:-}
ONLY=${ONLY:-}
OUT=${OUT:-/tmp/keepdb-bench}
PORT_BASE=${PORT_BASE:-6501}

if [ -z "${KEEPD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=ON -DKEEPDB_BUILD_BENCH=ON >/dev/null
  cmake --build build-bench -j2 --target keepd keepdb_auth_token keepdb_auth_jwt keepdb_tls \
    keepdb_ratelimit keepdb_audit kdb_fixture_admission kdb_fixture_audit_file >/dev/null
  KEEPD=build-bench/kernel/cli/keepd
fi
BUILD=$(cd "$(dirname "$KEEPD")/../.." && pwd)
so() { echo "$BUILD/$1"; }  # a plugin library by its path in the build tree

rm -rf "$OUT" && mkdir -p "$OUT" && chmod 700 "$OUT"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
next_port=$PORT_BASE
HZ=$(getconf CLK_TCK)

# keepdb NAME FRAGMENT [LIBRARY...]: starts a keepd with its own folder $OUT/NAME, the given
# plugin libraries copied into its plugins folder and FRAGMENT appended to its config after
# the [client] keys (so a bare key, like transport, lands in [client]). Sets PORT and PID.
keepdb() {
  local name=$1 fragment=$2 dir="$OUT/$1" lib
  shift 2
  mkdir -p "$dir/plugins" && chmod 700 "$dir" "$dir/plugins"
  for lib in "$@"; do cp "$lib" "$dir/plugins/"; done
  PORT=$next_port && next_port=$((next_port + 1))
  cat >"$dir/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
[limits]
idle_timeout_ms = 0
[client]
host = "127.0.0.1"
port = $PORT
$fragment
TOML
  "$KEEPD" run --config "$dir/node.toml" 2>"$dir/log" & PID=$!
  PIDS+=("$PID")
}

plugin() {  # NAME LIBRARY [key = value lines]: one [[plugin]] table
  printf '[[plugin]]\nname = "%s"\npath = "%s"\n[plugin.options]\n%s\n' "$1" "$2" "${3:-}"
}

stop() {  # PID: SIGTERM, wait, forget it
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local p left=()
  for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || left+=("$p"); done
  PIDS=("${left[@]}")
}

# run PORT PID TEST clients pipeline requests [redis-benchmark args...] -> "rps p50 cpu_us_per_op"
run() {
  local port=$1 pid=$2 test=$3 c=$4 p=$5 n=$6 before after
  shift 6
  before=$(cpu_ticks "$pid")
  local out
  out=$(redis-benchmark -p "$port" "$@" ${KEYSPACE:+-r "$KEYSPACE"} -t "$test" -d 256 \
    -c "$c" -P "$p" -n "$n" --csv 2>/dev/null |
    awk -F'","' 'NR > 1 { gsub(/"/, "", $0); split($0, f, ","); print f[2], f[5] }')
  after=$(cpu_ticks "$pid")
  [ -n "$out" ] || { echo "redis-benchmark $test on port $port printed nothing" >&2; exit 1; }
  echo "$out $(awk -v t=$((after - before)) -v hz="$HZ" -v n="$n" 'BEGIN { print t * 1e6 / hz / n }')"
}

# rounds A_PORT A_PID B_PORT B_PID TEST clients pipeline requests A_ARGS B_ARGS: ROUNDS
# alternating runs of A then B; prints the medians "a_rps a_p50 a_cpu b_rps b_p50 b_cpu".
rounds() {
  local r results=""
  for ((r = 0; r < ROUNDS; r++)); do
    # shellcheck disable=SC2086 # $9 and ${10} are lists of redis-benchmark arguments
    results+="$(run "$1" "$2" "$5" "$6" "$7" "$8" $9) $(run "$3" "$4" "$5" "$6" "$7" "$8" ${10})"$'\n'
  done
  printf '%s' "$results" | medians
}

# The plain KeepDB and the durable Redis every row is compared with.
keepdb plain ""
PLAIN_PORT=$PORT PLAIN_PID=$PID
REDIS_PORT=$next_port && next_port=$((next_port + 1))
mkdir -m 700 "$OUT/redis"
durable_redis "$OUT/redis" "$REDIS_PORT"
PIDS+=("$REDIS_PID")
wait_for_ping -p "$PLAIN_PORT"
wait_for_ping -p "$REDIS_PORT"

echo "KeepDB vs Redis (appendonly yes, appendfsync always), 256 B values, median of $ROUNDS rounds${KEYSPACE:+, random keys -r $KEYSPACE}"
printf '%-16s %11s %8s %11s %8s %6s  %13s %13s %6s\n' load "KeepDB op/s" "p50 ms" "Redis op/s" \
  "p50 ms" ratio "KeepDB CPU us" "Redis CPU us" ratio
row() {  # label clients pipeline requests
  local test
  for test in set get; do
    read -r ks kp kc rs rp rc <<<"$(rounds "$PLAIN_PORT" "$PLAIN_PID" "$REDIS_PORT" "$REDIS_PID" \
      "$test" "$2" "$3" "$4" "" "")"
    awk -v l="$1 ${test^^}" -v a="$ks" -v ap="$kp" -v ac="$kc" -v b="$rs" -v bp="$rp" -v bc="$rc" \
      'BEGIN { printf "%-16s %11.0f %8.3f %11.0f %8.3f %6.2f  %13.1f %13.1f %6.2f\n",
               l, a, ap, b, bp, a / b, ac, bc, (bc > 0 ? ac / bc : 0) }'
  done
}
row "c1 P1" 1 1 "$N_C1"
row "c50 P1" 50 1 "$N_C50"
row "c1 P16" 1 16 "$N_C50"
row "c50 P16" 50 16 "$N_P16"
echo "(CPU us: server CPU time, user+sys, per acknowledged operation; /proc/PID/stat ticks of 1/$HZ s.)"

# Provider variants: each prints its config fragment, given its folder; the libraries it
# loads are named in its plugin_row line.
TOKEN=$(openssl rand -hex 32)
variant_auth_token() {
  printf '%s read,write,admin bench\n' "$(printf %s "$TOKEN" | "$KEEPD" token hash)" >"$1/secrets"
  chmod 600 "$1/secrets"
  printf '[plugins]\ndir = "plugins"\n'
  plugin tokens libkeepdb_auth_token.so "secrets_file = \"secrets\""
}
JWT=""
variant_auth_jwt() {  # an HS256 key made here; the token minted with plugins/auth-jwt/mint-jwt.sh
  openssl rand -out "$1/jwt.key" 64 && chmod 600 "$1/jwt.key"
  local now
  now=$(date +%s)
  JWT=$(plugins/auth-jwt/mint-jwt.sh HS256 "$1/jwt.key" \
    "{\"iss\":\"bench\",\"aud\":\"keepdb\",\"sub\":\"bench\",\"roles\":[\"read\",\"write\",\"admin\"],\"iat\":$now,\"exp\":$((now + 3000))}")
  printf '[plugins]\ndir = "plugins"\n'
  plugin jwt libkeepdb_auth_jwt.so \
    "$(printf 'algorithms = "HS256"\nissuers = "bench"\naudience = "keepdb"\nhmac_secret_file = "jwt.key"')"
}
variant_ratelimit() {  # every limit on, none reached by the load
  printf '[plugins]\ndir = "plugins"\n'
  plugin limits libkeepdb_ratelimit.so "$(printf '%s\n' 'connections_per_ip = "1000"' \
    'new_connections_per_ip_per_second = "10000"' \
    'commands_per_second_per_connection = "1000000"' \
    'commands_per_second_per_principal = "10000000"' \
    'bytes_per_second_per_connection = "1000000000"' \
    'command_costs = "scan=10,keys=100,flushdb=1000"' 'auth_failure_limit = "10"')"
}
variant_audit() {  # folder fsync-policy
  printf '[plugins]\ndir = "plugins"\n'
  plugin audit libkeepdb_audit.so "$(printf 'path = "audit.log"\nfsync = "%s"' "$2")"
}
variant_audit_interval() { variant_audit "$1" interval_ms; }
variant_audit_every() { variant_audit "$1" every_record; }
variant_fixtures() {  # tests/plugin_abi/fixtures: admission (denies nothing) and audit to a file
  printf '[plugins]\ndir = "plugins"\n'
  plugin gate libkdb_fixture_admission.so
  plugin audit libkdb_fixture_audit_file.so 'path = "audit.log"'
}
variant_tls() {  # plugins/tls on the client listener, certificates from scripts/gen-certs.sh
  scripts/gen-certs.sh "$1/certs" 1 2>/dev/null
  printf 'transport = "tls"\n[plugins]\ndir = "plugins"\n'
  plugin tls libkeepdb_tls.so "$(printf 'cert_file = "certs/node1.pem"\nkey_file = "certs/node1.key"')"
}
variant_io_threads() {  # no provider; the client sockets on IO_THREADS I/O threads
  printf 'io_threads = %s\n' "$IO_THREADS"
}
variant_tls_io_threads() {  # plugins/tls, its sessions on IO_THREADS I/O threads
  printf 'io_threads = %s\n' "$IO_THREADS"
  variant_tls "$1"
}

# profile_plugin NAME: the [[plugin]] table NAME of profiles/prod.toml with its
# [plugin.options], without comments and without the sha256 placeholder.
profile_plugin() {
  awk -v want="\"$1\"" '
    function flush() { if (keep) printf "%s", block; block = ""; keep = 0; in_plugin = 0 }
    /^\[\[plugin\]\]/ { flush(); in_plugin = 1; block = $0 "\n"; next }
    /^\[plugin\.options\]/ && in_plugin { block = block $0 "\n"; next }
    /^\[/ { flush(); next }
    in_plugin && /^[a-z_0-9]+ = / && $1 != "sha256" {
      block = block $0 "\n"
      if ($1 == "name" && $3 == want) keep = 1
    }
    END { flush() }' profiles/prod.toml
}
variant_prod() {  # the client-side providers of profiles/prod.toml, their options from the file
  variant_tls "$1" >/dev/null         # for the certificates
  variant_auth_token "$1" >/dev/null  # for the secrets file
  printf 'transport = "client-tls"\n[plugins]\ndir = "plugins"\n'
  local name
  for name in client-tls tokens limits audit; do
    profile_plugin "$name" | sed -e 's|^cert_file = .*|cert_file = "certs/node1.pem"|' \
      -e 's|^key_file = .*|key_file = "certs/node1.key"|' \
      -e 's|^secrets_file = .*|secrets_file = "secrets"|' -e 's|^path = "/.*|path = "audit.log"|'
  done
}

# print_row LABEL "medians from rounds": one line of the provider table.
print_row() {
  local vs vp vc ps pp pc
  read -r vs vp vc ps pp pc <<<"$2"
  awk -v l="$1" -v a="$vs" -v ap="$vp" -v ac="$vc" -v b="$ps" -v bp="$pp" -v bc="$pc" \
    'BEGIN { printf "%-36s %10.0f %8.3f %10.0f %8.3f %6.3f  %8.1f %8.1f\n", l, a, ap, b, bp, a / b, ac, bc }'
}

# plugin_row LABEL VARIANT "redis-benchmark args" clients requests LIBRARY...: starts the
# variant, runs ROUNDS alternating rounds of SET against it and the plain KeepDB, stops it.
plugin_row() {
  local label=$1 variant=$2 args=$3 clients=$4 requests=$5 name="$2-c$4"
  local dir="$OUT/$name"
  shift 5
  [ "$ONLY" != none ] || return 0
  [[ -z $ONLY || $label =~ $ONLY ]] || return 0
  mkdir -m 700 "$dir"
  "variant_$variant" "$dir" >"$dir/fragment.toml"  # in this shell: a variant may set JWT
  keepdb "$name" "$(<"$dir/fragment.toml")" "$@"
  args=${args//@JWT@/$JWT}
  args=${args//@TOKEN@/$TOKEN}
  args=${args//@DIR@/$dir}
  # shellcheck disable=SC2086 # $args is a list of redis-benchmark arguments
  wait_for_ping -p "$PORT" $args
  print_row "$label" "$(rounds "$PORT" "$PID" "$PLAIN_PORT" "$PLAIN_PID" set \
    "$clients" 1 "$requests" "$args" "")"
  local dropped
  # shellcheck disable=SC2086 # $args is a list of redis-cli arguments
  dropped=$(redis-cli -p "$PORT" $args --no-auth-warning info security 2>/dev/null |
    tr -d '\r' | sed -n 's/^audit_events_dropped://p')
  [ "${dropped:-0}" = 0 ] || echo "  ($label: $dropped audit events dropped, queue full)"
  stop "$PID"
}

if [ "$ONLY" != none ]; then
  echo
  echo "Security providers: SET, 256 B values, against the plain KeepDB, median of $ROUNDS alternating rounds"
  printf '%-36s %10s %8s %10s %8s %6s  %8s %8s\n' "load, provider" "with op/s" "p50 ms" \
    "plain op/s" "p50 ms" ratio "CPU us" "plain"
fi
plugin_row "c50 P1, auth-token" auth_token "-a @TOKEN@" 50 "$N_C50" "$(so plugins/auth-token/libkeepdb_auth_token.so)"
plugin_row "c50 P1, auth-jwt (HS256)" auth_jwt "-a @JWT@" 50 "$N_C50" "$(so plugins/auth-jwt/libkeepdb_auth_jwt.so)"
plugin_row "c50 P1, ratelimit (no limit reached)" ratelimit "" 50 "$N_C50" "$(so plugins/ratelimit/libkeepdb_ratelimit.so)"
plugin_row "c50 P1, audit fsync interval_ms" audit_interval "" 50 "$N_C50" "$(so plugins/audit/libkeepdb_audit.so)"
plugin_row "c50 P1, audit fsync every_record" audit_every "" 50 "$N_C50" "$(so plugins/audit/libkeepdb_audit.so)"
plugin_row "c50 P1, admission+audit fixtures" fixtures "" 50 "$N_C50" \
  "$(so tests/plugin_abi/fixtures/admission/libkdb_fixture_admission.so)" \
  "$(so tests/plugin_abi/fixtures/audit_file/libkdb_fixture_audit_file.so)"
plugin_row "c50 P1, prod profile providers" prod \
  "--tls --cacert @DIR@/certs/ca.pem -a @TOKEN@" 50 "$N_C50" "$(so plugins/tls/libkeepdb_tls.so)" \
  "$(so plugins/auth-token/libkeepdb_auth_token.so)" "$(so plugins/ratelimit/libkeepdb_ratelimit.so)" \
  "$(so plugins/audit/libkeepdb_audit.so)"
plugin_row "c1 P1, TLS" tls "--tls --cacert @DIR@/certs/ca.pem" 1 "$N_C1" "$(so plugins/tls/libkeepdb_tls.so)"
plugin_row "c50 P1, TLS" tls "--tls --cacert @DIR@/certs/ca.pem" 50 "$N_C50" "$(so plugins/tls/libkeepdb_tls.so)"
plugin_row "c50 P1, sockets on $IO_THREADS I/O thread(s)" io_threads "" 50 "$N_C50"
plugin_row "c50 P1, TLS on $IO_THREADS I/O thread(s)" tls_io_threads \
  "--tls --cacert @DIR@/certs/ca.pem" 50 "$N_C50" "$(so plugins/tls/libkeepdb_tls.so)"

# The reference's own price for TLS on this machine: one durable Redis serving a TLS port
# and a plain port, the same load on each, alternating rounds. redis-benchmark --tls
# encrypts on the same cores as the server, so this row says how much of the TLS rows'
# cost any server pays here.
redis_tls_row() {
  local label="c50 P1, Redis TLS (reference)" dir="$OUT/redis-tls"
  [ "$ONLY" != none ] || return 0
  [[ -z $ONLY || $label =~ $ONLY ]] || return 0
  mkdir -m 700 "$dir"
  scripts/gen-certs.sh "$dir/certs" 1 2>/dev/null
  local plain_port=$next_port tls_port=$((next_port + 1)) pid
  next_port=$((next_port + 2))
  durable_redis "$dir" "$plain_port" --tls-port "$tls_port" --tls-cert-file certs/node1.pem \
    --tls-key-file certs/node1.key --tls-ca-cert-file certs/ca.pem --tls-auth-clients no
  pid=$REDIS_PID
  PIDS+=("$pid")
  wait_for_ping -p "$plain_port"
  wait_for_ping -p "$tls_port" --tls --cacert "$dir/certs/ca.pem"
  print_row "$label" "$(rounds "$tls_port" "$pid" "$plain_port" "$pid" set 50 1 "$N_C50" \
    "--tls --cacert $dir/certs/ca.pem" "")"
  stop "$pid"
}
redis_tls_row
echo "(Logs and data in $OUT. Both servers and redis-benchmark share the machine's cores.)"
