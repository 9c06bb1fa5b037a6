#!/usr/bin/env bash
# Measures a streamed snapshot install: a one-node cluster is loaded with KEYS keys
# (redis-benchmark, VALUE_BYTES-byte values, random keys), then a second node joins with
# KEEPDB.ADD and catches up by a streamed install. Prints the keys, the stream size, the
# time KEEPDB.ADD took (install plus catch-up), and the peak RSS (VmHWM) of the leader and
# of the newcomer, before and after.
#
#   bench/snapshot-install.sh            # KEYS=1000000 VALUE_BYTES=100
#   KEYS=200000 bench/snapshot-install.sh
#
# Environment: KEEPD (default build/kernel/cli/keepd), KEYS, VALUE_BYTES, BASE_PORT (7701:
# clients on 7701/7702, peers on 7711/7712), DEADLINE_S (600).
set -euo pipefail

KEEPD=${KEEPD:-build/kernel/cli/keepd}
KEYS=${KEYS:-1000000}
VALUE_BYTES=${VALUE_BYTES:-100}
BASE_PORT=${BASE_PORT:-7701}
DEADLINE_S=${DEADLINE_S:-600}
DIR=$(mktemp -d -t keepdb-snapshot-install-XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$DIR"
}
trap cleanup EXIT

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/secret"
chmod 600 "$DIR/secret"

write_config() {  # write_config N BOOTSTRAP MEMBER...
  local n=$1 bootstrap=$2
  shift 2
  {
    echo "node_id = $n"
    echo "[storage]"
    echo "data_dir = \"node$n\""
    echo "map_size_bytes = 8589934592"
    echo "[client]"
    echo "host = \"127.0.0.1\""
    echo "port = $((BASE_PORT + n - 1))"
    echo "[cluster]"
    echo "id = \"snapshot-bench\""
    echo "peer_host = \"127.0.0.1\""
    echo "peer_port = $((BASE_PORT + 10 + n - 1))"
    echo "secret_file = \"secret\""
    echo "bootstrap = $bootstrap"
    echo "snapshot_threshold = 64"
    echo "snapshot_trailing = 64"
    for m in "$@"; do
      echo "[[cluster.member]]"
      echo "id = $m"
      echo "peer = \"127.0.0.1:$((BASE_PORT + 10 + m - 1))\""
      echo "client = \"127.0.0.1:$((BASE_PORT + m - 1))\""
    done
  } >"$DIR/node$n.toml"
}

start() {  # start N: starts keepd and waits for PING
  (cd "$DIR" && exec "$OLDPWD/$KEEPD" run --config "node$1.toml" 2>"node$1.log") &
  PIDS+=($!)
  local port=$((BASE_PORT + $1 - 1))
  for ((i = 0; i < DEADLINE_S * 10; i++)); do
    [[ $(redis-cli -p "$port" ping 2>/dev/null) == PONG ]] && return 0
    sleep 0.1
  done
  echo "node $1 did not start" >&2
  exit 1
}

hwm_kib() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status"; }

write_config 1 true 1
start 1
leader_pid=${PIDS[0]}
for ((i = 0; i < DEADLINE_S * 10; i++)); do
  [[ $(redis-cli -p "$BASE_PORT" set probe 1 2>/dev/null) == OK ]] && break
  sleep 0.1
done
redis-benchmark -p "$BASE_PORT" -t set -n "$KEYS" -r 1000000000 -d "$VALUE_BYTES" -P 32 -c 20 -q \
  >/dev/null
keys=$(redis-cli -p "$BASE_PORT" dbsize)
leader_before=$(hwm_kib "$leader_pid")

write_config 2 false 1 2
start 2
joiner_pid=${PIDS[1]}
joiner_before=$(hwm_kib "$joiner_pid")
started=$(date +%s.%N)
reply=$(redis-cli -p "$BASE_PORT" keepdb.add 2 "127.0.0.1:$((BASE_PORT + 11))" \
  "127.0.0.1:$((BASE_PORT + 1))")
finished=$(date +%s.%N)
[[ $reply == OK ]] || { echo "KEEPDB.ADD: $reply" >&2; cat "$DIR/node2.log" >&2; exit 1; }
bytes=$(sed -n 's/.*holds the streamed state (\([0-9]*\) bytes.*/\1/p' "$DIR/node1.log" | tail -1)

printf 'keys %s, stream %s bytes, KEEPDB.ADD (install and catch-up) %.1f s\n' \
  "$keys" "$bytes" "$(echo "$finished - $started" | bc)"
printf 'leader peak RSS: %s MiB before, %s MiB after\n' \
  $((leader_before / 1024)) $(($(hwm_kib "$leader_pid") / 1024))
printf 'newcomer peak RSS: %s MiB at start, %s MiB after\n' \
  $((joiner_before / 1024)) $(($(hwm_kib "$joiner_pid") / 1024))
printf 'newcomer DBSIZE: %s\n' "$(redis-cli -p $((BASE_PORT + 1)) dbsize)"
