#!/usr/bin/env bash
# cluster-compare.sh: 3-node KeepDB vs 3-node etcd 3.4 on loopback, the same load in one
# run: durable 256-byte writes from 1 and 50 clients against each leader, ops/s and p50,
# p99 and p99.9 latency, in ROUNDS rounds (every system once per round, in turn), then the
# median of each figure. KeepDB is driven by redis-benchmark (SET, -P 1, random keys), etcd
# by bench/etcd-put (put over gRPC with etcd's Go client, random keys of the same key
# space). Also measured: one KeepDB node (the cost of replication), 3 KeepDB nodes started by
# `scripts/cluster.sh start --tls` (clients on TLS, peers on mutual TLS; the cost of TLS),
# and the headline row: 3 nodes of profiles/prod.toml by `scripts/cluster.sh start --prod`
# (TLS, mutual TLS, auth-token, ratelimit, fail_closed audit; the cost of the prod profile).
# After the rounds it prints each KeepDB member's store commits (INFO persistence): how
# often its write window committed, why, and how long the commits held its network thread.
#
#   bench/cluster-compare.sh       # builds a Release keepd and its plugins into build-bench/
#   SYSTEMS='3 nodes' bench/cluster-compare.sh   # plain, TLS and prod 3-node clusters only
#
# Needs redis-benchmark, etcd, etcdctl and Go with Debian's etcd client packages, all
# installed by scripts/install-deps.sh. Environment: KEEPD (with the plugins of prod mode in
# its build tree), ROUNDS (3), REQUESTS (c50: 100000, several seconds of the store's window
# commits on every member: the steady state; 20000 until 2026-12-07), REQUESTS_C1 (5000), SCRATCH
# (/tmp/keepdb-cluster-compare; never inside a git checkout), SYSTEMS (a pattern: only the
# systems whose label matches), KEYSPACE (1000000: each write goes to key:<n>, n random below
# it; 1: every write to one key, which takes the store's page writes out of the measurement).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib.sh"
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-100000}
REQUESTS_C1=${REQUESTS_C1:-5000}
SCRATCH=${SCRATCH:-/tmp/keepdb-cluster-compare}
SYSTEMS=${SYSTEMS:-}
KEYSPACE=${KEYSPACE:-1000000}

log() { echo "cluster-compare: $*" >&2; }
for tool in redis-benchmark etcd etcdctl go; do
  command -v "$tool" >/dev/null || { log "no $tool: run scripts/install-deps.sh"; exit 1; }
done
if [[ -z ${KEEPD:-} ]]; then
  cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release -DKEEPDB_BUILD_TESTS=ON \
    -DKEEPDB_BUILD_BENCH=ON >/dev/null
  cmake --build "$ROOT/build-bench" -j2 --target keepd keepdb_tls keepdb_auth_token \
    keepdb_ratelimit keepdb_audit >/dev/null
  KEEPD=$ROOT/build-bench/kernel/cli/keepd
fi
[[ -x $KEEPD ]] || { log "no keepd at $KEEPD"; exit 1; }
PLUGIN_DIR=$(dirname "$KEEPD")/../../plugins/tls

rm -rf "$SCRATCH" && mkdir -p "$SCRATCH/bin" && chmod 700 "$SCRATCH"
# GOPATH mode against Debian's packages: nothing is downloaded.
(cd "$ROOT/bench/etcd-put" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS="" \
  GOCACHE="$SCRATCH/go-cache" go build -o "$SCRATCH/bin/etcd-put" .) ||
  { log "cannot build bench/etcd-put (Debian's golang-etcd-server-dev installed?)"; exit 1; }

# KeepDB clusters by scripts/cluster.sh: label -> "dir nodes client_base peer_base [--tls|--prod]".
declare -A CLUSTERS=(
  ["keepdb, 1 node"]="keepdb1 1 6391 7391"
  ["keepdb, 3 nodes"]="keepdb3 3 6381 7381"
  ["keepdb, 3 nodes, TLS"]="keepdb3tls 3 6371 7371 --tls"
  ["keepdb, 3 nodes, prod"]="keepdb3prod 3 6361 7361 --prod"
)
ORDER=("keepdb, 1 node" "keepdb, 3 nodes" "keepdb, 3 nodes, TLS" "keepdb, 3 nodes, prod"
  "etcd 3.4, 3 members")
ETCD_PIDS=()

cluster() {  # label start|stop
  local dir nodes client peer tls
  read -r dir nodes client peer tls <<<"${CLUSTERS[$1]}"
  CLUSTER_DIR=$SCRATCH/$dir NODES=$nodes CLIENT_BASE=$client PEER_BASE=$peer KEEPD=$KEEPD \
    PLUGIN_DIR=$PLUGIN_DIR "$ROOT/scripts/cluster.sh" "$2" ${tls:+"$tls"} >/dev/null
}

cleanup() {
  local label pid
  for label in "${!CLUSTERS[@]}"; do cluster "$label" stop 2>/dev/null || true; done
  for pid in "${ETCD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${ETCD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# label -> redis-cli/redis-benchmark arguments: TLS if that cluster is on TLS, and the token
# of prod mode (a throwaway one for this run, made by cluster.sh)
tls_args() {
  local dir nodes client peer tls
  read -r dir nodes client peer tls <<<"${CLUSTERS[$1]}"
  [[ -z $tls ]] || echo "--tls --cacert $SCRATCH/$dir/tls/ca.pem"
  [[ $tls != --prod ]] || echo "-a $(<"$SCRATCH/$dir/ops-token")"
}

keepdb_leader() {  # label -> the leader's client port
  local dir nodes client peer tls n
  read -r dir nodes client peer tls <<<"${CLUSTERS[$1]}"
  for ((n = 0; n < nodes; n++)); do
    # shellcheck disable=SC2046 # tls_args is a list of arguments
    if redis-cli -p $((client + n)) $(tls_args "$1") info replication 2>/dev/null | tr -d '\r' |
      grep -q '^keepdb_role:leader'; then
      echo $((client + n))
      return
    fi
  done
  log "$1: no leader"
  return 1
}

# One load on one KeepDB cluster -> "rps p50 p99 p99.9" (p99.9: redis-benchmark's first
# percentile line at or above 99.9%, an upper bound within its histogram's precision).
keepdb_load() {  # label clients requests
  # shellcheck disable=SC2046 # tls_args is a list of arguments
  redis-benchmark -p "$(keepdb_leader "$1")" $(tls_args "$1") -t set -d 256 -c "$2" -P 1 \
    -n "$3" -r "$KEYSPACE" 2>/dev/null | tr '\r' '\n' | awk '
      /^[0-9.]+% <= / && p999 == "" { sub(/%/, "", $1); if ($1 + 0 >= 99.9) p999 = $3 }
      /throughput summary:/ { rps = $3 }
      /avg +min +p50/ { getline; p50 = $3; p99 = $5 }
      END { print rps, p50, p99, p999 }'
}

# label -> one line per member: its role and its store's window commits since it started
# (INFO persistence: by cause, and their mean duration), which the tail latencies follow.
keepdb_store_commits() {
  local dir nodes client peer tls n info
  read -r dir nodes client peer tls <<<"${CLUSTERS[$1]}"
  for ((n = 0; n < nodes; n++)); do
    # shellcheck disable=SC2046 # tls_args is a list of arguments
    info=$(redis-cli -p $((client + n)) $(tls_args "$1") info everything 2>/dev/null | tr -d '\r')
    printf '%-22s node %d %-9s store commits %s, mean %s us\n' "$1" $((n + 1)) \
      "$(sed -n 's/^keepdb_role://p' <<<"$info")" "$(sed -n 's/^store_commits://p' <<<"$info")" \
      "$(sed -n 's/^store_commit_avg_usec://p' <<<"$info")"
  done
}

etcd_start() {
  local d=$SCRATCH/etcd3 initial="" spec name c p
  local specs=(e1:2379:2380 e2:22379:22380 e3:32379:32380)
  for spec in "${specs[@]}"; do
    IFS=: read -r name c p <<<"$spec"
    initial+="${initial:+,}$name=http://127.0.0.1:$p"
    ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}127.0.0.1:$c"
  done
  mkdir -p "$d" && chmod 700 "$d"
  for spec in "${specs[@]}"; do
    IFS=: read -r name c p <<<"$spec"
    # Started from the scratch folder: etcd writes nothing into a checkout.
    (cd "$d" && exec etcd --name "$name" --data-dir "$d/$name" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$initial" --initial-cluster-token compare --initial-cluster-state new \
      --logger zap --log-outputs "$d/$name.log" >/dev/null 2>&1) &
    ETCD_PIDS+=("$!")
  done
  local deadline=$((SECONDS + 30))
  until etcd_leader >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "etcd: no leader within 30 s; logs in $d"; return 1; }
    sleep 0.2
  done
}

etcd_leader() {  # the leader's client endpoint
  etcdctl --endpoints="$ETCD_ENDPOINTS" endpoint status -w json | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    s = e["Status"]
    if s["header"]["member_id"] == s["leader"]:
        print(e["Endpoint"])
        sys.exit(0)
sys.exit(1)'
}

etcd_load() {  # clients requests -> "rps p50 p99 p99.9"
  "$SCRATCH/bin/etcd-put" --endpoints="$(etcd_leader)" --conns="$1" --clients="$1" --total="$2" \
    --value-size=256 --key-space="$KEYSPACE" | tr , ' ' | awk '{ print $1, $2, $3, $4 }'
}

selected() { [[ -z $SYSTEMS || $1 =~ $SYSTEMS ]]; }

ETCD_ENDPOINTS=""
for label in "${ORDER[@]}"; do
  selected "$label" || continue
  if [[ $label == etcd* ]]; then etcd_start; else cluster "$label" start; fi
done

printf '%-6s %-22s %-4s %10s %8s %8s %8s\n' round system load "ops/s" "p50 ms" "p99 ms" "p99.9 ms"
for ((round = 1; round <= ROUNDS; round++)); do
  for label in "${ORDER[@]}"; do
    selected "$label" || continue
    for clients in 1 50; do
      n=$REQUESTS
      ((clients > 1)) || n=$REQUESTS_C1
      if [[ $label == etcd* ]]; then out=$(etcd_load "$clients" "$n"); else out=$(keepdb_load "$label" "$clients" "$n"); fi
      read -r rps p50 p99 p999 <<<"$out"
      printf '%-6s %-22s %-4s %10.0f %8.3f %8.3f %8.3f\n' "$round" "$label" "c$clients" "$rps" "$p50" "$p99" "$p999"
      printf '%s|c%s|%s|%s|%s|%s\n' "$label" "$clients" "$rps" "$p50" "$p99" "$p999" >>"$SCRATCH/rounds"
    done
  done
done

echo
for label in "${ORDER[@]}"; do
  if selected "$label" && [[ $label != etcd* ]]; then keepdb_store_commits "$label"; fi
done

echo
echo "median of $ROUNDS rounds (REQUESTS=$REQUESTS at c50, $REQUESTS_C1 at c1, KEYSPACE=$KEYSPACE; all servers, their disks and the load generators share the machine)"
printf '%-22s %-4s %10s %8s %8s %8s\n' system load "ops/s" "p50 ms" "p99 ms" "p99.9 ms"
cut -d'|' -f1,2 "$SCRATCH/rounds" | awk '!seen[$0]++' | while IFS='|' read -r label load; do
  read -r rps p50 p99 p999 <<<"$(grep -F "$label|$load|" "$SCRATCH/rounds" | cut -d'|' -f3- | tr '|' ' ' | medians)"
  printf '%-22s %-4s %10.0f %8.3f %8.3f %8.3f\n' "$label" "$load" "$rps" "$p50" "$p99" "$p999"
done
