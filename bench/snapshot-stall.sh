#!/usr/bin/env bash
# snapshot-stall.sh: does a snapshot stop the world? Loads KeepDB (one node) and a durable
# Redis (AOF, appendfsync always; its AOF rewrite forks, the parent keeps serving) with
# redis-benchmark -c 20 -P 32 SETs of 256-byte values on random keys, up to each key count
# in KEYS, while a probe client sends one SET every 10 ms and records its latency. Prints,
# per server and key count: the probe's max and p99 latency during the load, the load's
# throughput and the server's RSS after it. Then the KeepDB node is killed with -9 and
# restarted, and the time to its first PONG is printed.
#
# Usage: bench/snapshot-stall.sh            (builds a RelWithDebInfo keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  KEYS="1000000 2000000 3000000"  OUT=/tmp/keepdb-stall
# Every server is started here, tracked by PID, stopped by PID. Numbers from a shared or
# small machine are noisy: read the probe's p99 next to its max.
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-"1000000 2000000 3000000"}
OUT=${OUT:-/tmp/keepdb-stall}
PORT_KEEPDB=${PORT_KEEPDB:-6511}
PORT_REDIS=${PORT_REDIS:-6512}

if [ -z "${KEEPD:-}" ]; then
  cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEEPDB_BUILD_TESTS=OFF \
    -DKEEPDB_BUILD_BENCH=OFF >/dev/null
  cmake --build build-bench -j2 --target keepd >/dev/null
  KEEPD=build-bench/kernel/cli/keepd
fi

rm -rf "$OUT" && mkdir -p -m 700 "$OUT/keepdb" "$OUT/redis"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_for_port() {  # port: poll PING with a 60 s deadline
  local deadline=$((SECONDS + 60))
  until redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; do
    [ $SECONDS -lt $deadline ] || { echo "server on port $1 did not start" >&2; exit 1; }
    sleep 0.01
  done
}

cat >"$OUT/keepdb/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
map_size_bytes = 17179869184
[client]
host = "127.0.0.1"
port = $PORT_KEEPDB
[limits]
idle_timeout_ms = 0
TOML
start_keepdb() {
  "$KEEPD" run --config "$OUT/keepdb/node.toml" 2>>"$OUT/keepdb/log" &
  KEEPDB_PID=$!
  PIDS+=("$KEEPDB_PID")
}
start_keepdb
redis-server --port "$PORT_REDIS" --bind 127.0.0.1 --save '' --dir "$OUT/redis" \
  --appendonly yes --appendfsync always >"$OUT/redis/log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
wait_for_port "$PORT_KEEPDB"
wait_for_port "$PORT_REDIS"

# The probe: one SET every 10 ms until SIGTERM; then prints "max_ms p99_ms count".
probe() {  # port; exec, so that the caller's $! is the probe itself
  exec python3 - "$1" <<'PY'
import signal, socket, sys, time
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
done = False
def stop(*_):
    global done
    done = True
signal.signal(signal.SIGTERM, stop)
lat = []
cmd = b"*3\r\n$3\r\nSET\r\n$5\r\nprobe\r\n$1\r\nx\r\n"
while not done:
    t = time.monotonic()
    sock.sendall(cmd)
    got = b""
    while not got.endswith(b"\r\n"):
        part = sock.recv(64)
        if not part:
            sys.exit("probe: the server closed the connection")
        got += part
    lat.append((time.monotonic() - t) * 1000)
    time.sleep(max(0, 0.01 - (time.monotonic() - t)))
lat.sort()
print("%.1f %.1f %d" % (lat[-1], lat[int(len(lat) * 0.99)], len(lat)))
PY
}

rss_mib() { awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# Loads `count` more SETs on random keys into `port`, probing meanwhile;
# prints "probe_max probe_p99 rps rss".
load_step() {  # port pid count
  probe "$1" >"$OUT/probe.out" &
  local probe_pid=$!
  local rps
  rps=$(redis-benchmark -p "$1" -t set -d 256 -c 20 -P 32 -r 100000000 -n "$3" --csv 2>/dev/null |
    awk -F'","' '/^"SET"/ { gsub(/"/, "", $0); split($0, f, ","); print f[2] }')
  kill -TERM "$probe_pid"
  wait "$probe_pid" || true
  read -r pmax pp99 _ <"$OUT/probe.out"
  echo "$pmax $pp99 $rps $(rss_mib "$2")"
}

printf '%9s | %-40s | %-40s\n' "" "KeepDB" "Redis (AOF always)"
printf '%9s | %10s %8s %11s %8s | %10s %8s %11s %8s\n' keys "max ms" "p99 ms" "SET/s" "RSS MiB" \
  "max ms" "p99 ms" "SET/s" "RSS MiB"
loaded=0
for target in $KEYS; do
  step=$((target - loaded))
  read -r km kp kr krss <<<"$(load_step "$PORT_KEEPDB" "$KEEPDB_PID" "$step")"
  read -r rm rp rr rrss <<<"$(load_step "$PORT_REDIS" "$REDIS_PID" "$step")"
  loaded=$target
  printf '%9s | %10s %8s %11s %8s | %10s %8s %11s %8s\n' "$(redis-cli -p "$PORT_KEEPDB" dbsize)" \
    "$km" "$kp" "$kr" "$krss" "$rm" "$rp" "$rr" "$rrss"
done

for how in KILL TERM; do
  kill -"$how" "$KEEPDB_PID"
  wait "$KEEPDB_PID" 2>/dev/null || true
  started=$(date +%s.%N)
  start_keepdb
  wait_for_port "$PORT_KEEPDB"
  echo "KeepDB restart after SIG$how with $(redis-cli -p "$PORT_KEEPDB" dbsize) keys:" \
    "$(echo "$(date +%s.%N) - $started" | bc) s to the first PONG"
done
echo "(probe: one SET every 10 ms during each load step; logs and data in $OUT)"
