#!/usr/bin/env bash
# 3-node KeepDB vs 3-node etcd 3.4 on loopback, same load in one run: durable 256-byte
# writes from 1 and 50 clients against each leader, ops/s and p50/p99 latency. KeepDB is
# driven by redis-benchmark (SET, -P 1), etcd by etcdput (put, the stand-in for etcd's
# `benchmark put`, built from the etcdput/ folder named by ANCHORS). A single
# KeepDB node is measured too, for the cost of replication.
#
#   bench/cluster-compare.sh            # uses build/kernel/cli/keepd (a release build)
#
# Environment: KEEPD, REQUESTS (20000), SCRATCH (/tmp/keepdb-cluster-compare),
# ANCHORS (required: the folder holding etcdput/, the etcd put client's source).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
KEEPD=${KEEPD:-$ROOT/build/kernel/cli/keepd}
REQUESTS=${REQUESTS:-20000}
SCRATCH=${SCRATCH:-/tmp/keepdb-cluster-compare}
ANCHORS=${ANCHORS:?set ANCHORS to the folder holding etcdput/}
ETCDPUT=$SCRATCH/bin/etcdput
ETCD_PIDS=()

log() { echo "cluster-compare: $*" >&2; }

# etcd, its client and the Go toolchain that builds etcdput come from Debian's packages.
install_etcd_tools() {
  local missing=() p
  for p in etcd-server etcd-client golang-go golang-etcd-server-dev; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}
install_etcd_tools
row() { printf '%-24s %-8s %12s %10s %10s\n' "$@"; }

cleanup() {
  local pid
  CLUSTER_DIR=$SCRATCH/keepdb3 "$ROOT/scripts/cluster.sh" stop >/dev/null 2>&1 || true
  CLUSTER_DIR=$SCRATCH/keepdb1 NODES=1 CLIENT_BASE=6391 PEER_BASE=7391 \
    "$ROOT/scripts/cluster.sh" stop >/dev/null 2>&1 || true
  for pid in "${ETCD_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${ETCD_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

# redis-benchmark SET on PORT with C clients -> "rps p50 p99"
keepdb_set() {
  redis-benchmark -h 127.0.0.1 -p "$1" -t set -d 256 -c "$2" -P 1 -n "$REQUESTS" -r 1000000 --csv 2>/dev/null |
    tail -1 | tr -d '"' | awk -F, '{print $2, $5, $7}'
}

keepdb_rows() {  # label PORT
  local c rps p50 p99
  for c in 1 50; do
    read -r rps p50 p99 < <(keepdb_set "$2" "$c")
    row "$1" "c$c" "$rps" "$p50" "$p99"
  done
}

leader_port() {  # base nodes
  local n port
  for ((n = 0; n < $2; n++)); do
    port=$(($1 + n))
    if redis-cli -p "$port" info replication | tr -d '\r' | grep -q '^keepdb_role:leader'; then
      echo "$port"
      return
    fi
  done
  return 1
}

etcd_rows() {
  mkdir -p "$SCRATCH/bin"
  if [[ ! -x $ETCDPUT ]]; then
    (cd "$ANCHORS/etcdput" && GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= go build -o "$ETCDPUT" .) ||
      { log "cannot build etcdput"; return 1; }
  fi
  local d=$SCRATCH/etcd3 ic="" eps="" spec name c p
  local specs=(e1:2379:2380 e2:22379:22380 e3:32379:32380)
  for spec in "${specs[@]}"; do
    IFS=: read -r name c p <<<"$spec"
    ic+="${ic:+,}$name=http://127.0.0.1:$p"
    eps+="${eps:+,}127.0.0.1:$c"
  done
  rm -rf "$d" && mkdir -p "$d"
  for spec in "${specs[@]}"; do
    IFS=: read -r name c p <<<"$spec"
    etcd --name "$name" --data-dir "$d/$name" \
      --listen-client-urls "http://127.0.0.1:$c" --advertise-client-urls "http://127.0.0.1:$c" \
      --listen-peer-urls "http://127.0.0.1:$p" --initial-advertise-peer-urls "http://127.0.0.1:$p" \
      --initial-cluster "$ic" --initial-cluster-token compare --initial-cluster-state new \
      --logger zap --log-outputs "$d/$name.log" >/dev/null 2>&1 &
    ETCD_PIDS+=("$!")
  done
  local leader="" deadline=$((SECONDS + 30))
  while [[ -z $leader ]] && ((SECONDS < deadline)); do
    leader=$(etcdctl --endpoints="$eps" endpoint status -w json 2>/dev/null | python3 -c '
import json,sys
for e in json.load(sys.stdin):
    s=e["Status"]
    if s["header"]["member_id"]==s["leader"]: print(e["Endpoint"])' 2>/dev/null || true)
    [[ -n $leader ]] || sleep 0.2
  done
  [[ -n $leader ]] || { log "etcd: no leader"; return 1; }
  local clients out rps p50 p99
  for clients in 1 50; do
    # label,conns,clients,total,errors,seconds,rps,avg_ms,p50_ms,p90_ms,p99_ms,max_ms
    out=$("$ETCDPUT" --endpoints="$leader" --conns="$clients" --clients="$clients" --total="$REQUESTS" \
      --key-size=8 --val-size=256 --key-space-size=0 --label=c$clients | tail -1)
    IFS=, read -r _ _ _ _ _ _ rps _ p50 _ p99 _ <<<"$out"
    row "etcd 3.4, 3 members" "c$clients" "$rps" "$p50" "$p99"
  done
}

[[ -x $KEEPD ]] || { log "no keepd at $KEEPD"; exit 1; }
rm -rf "$SCRATCH/keepdb1" "$SCRATCH/keepdb3"
mkdir -p "$SCRATCH"
row "system" clients "ops/s" "p50 ms" "p99 ms"

CLUSTER_DIR=$SCRATCH/keepdb1 NODES=1 CLIENT_BASE=6391 PEER_BASE=7391 KEEPD=$KEEPD \
  "$ROOT/scripts/cluster.sh" start >/dev/null
keepdb_rows "keepdb, 1 node" 6391
CLUSTER_DIR=$SCRATCH/keepdb1 NODES=1 "$ROOT/scripts/cluster.sh" stop >/dev/null

CLUSTER_DIR=$SCRATCH/keepdb3 KEEPD=$KEEPD "$ROOT/scripts/cluster.sh" start >/dev/null
keepdb_rows "keepdb, 3 nodes" "$(leader_port 6381 3)"
CLUSTER_DIR=$SCRATCH/keepdb3 "$ROOT/scripts/cluster.sh" stop >/dev/null

etcd_rows
