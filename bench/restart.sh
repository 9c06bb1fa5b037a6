#!/usr/bin/env bash
# restart.sh: how long a single keepd takes to come back, by key count. Loads KEYS keys
# (key:<7 digits> with 100-byte values, `redis-cli --pipe`) into one node, then per key count
# stops it ROUNDS times with SIGTERM and ROUNDS times with kill -9 and restarts it, printing
# the raft log on disk that the restart reads (bytes in <data_dir>/raft/log), the time from
# spawn to the first PONG and to the first answered GET (a read through the leader, so the
# node has applied its log), and the CPU time keepd used until that PONG.
#
# Usage: bench/restart.sh            (builds a Release keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  KEYS="1000000 3000000"  ROUNDS=3  OUT=/tmp/keepdb-restart
#              PORT=6531  THRESHOLD_BYTES (the node's [cluster] snapshot_threshold_bytes;
#              unset: the default)  RESTART_NICE (e.g. -20, as root: the restarted keepd runs
#              at that priority until its first GET is answered, then at 0 again)
# The machine's load average is printed before and after: on a busy machine the wall times
# include the wait for a core, the CPU time does not; RESTART_NICE=-20 approximates a quiet
# machine for the restart alone.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

KEYS=${KEYS:-"1000000 3000000"}
ROUNDS=${ROUNDS:-3}
OUT=${OUT:-/tmp/keepdb-restart}
PORT=${PORT:-6531}
release_keepd

rm -rf "$OUT" && mkdir -p -m 700 "$OUT"
cleanup() { [ ! -f "$OUT/pid" ] || kill -9 "$(cat "$OUT/pid")" 2>/dev/null || true; }
trap cleanup EXIT

{
  echo "node_id = 1"
  echo "[storage]"
  echo "data_dir = \"data\""
  echo "map_size_bytes = 17179869184"
  echo "[client]"
  echo "host = \"127.0.0.1\""
  echo "port = $PORT"
  echo "[limits]"
  echo "request_timeout_ms = 0  # redis-cli --pipe streams for longer than a request may take"
  if [ -n "${THRESHOLD_BYTES:-}" ]; then
    echo "[cluster]"
    echo "snapshot_threshold_bytes = $THRESHOLD_BYTES"
  fi
} >"$OUT/node.toml"

# Spawns keepd from a poller started beforehand (a Python start-up takes longer than a
# restart on a busy machine) and writes its PID to $OUT/pid and "pong_ms get_ms cpu_s" to
# $OUT/timing: the poller polls (2 ms apart, 60 s deadline) until a connection answers PING,
# then sends GET key:0000000 until it gets a value (or nil, before the first load) instead of
# an error.
spawn_and_time() {
  python3 - "$PORT" "$OUT" "${RESTART_NICE:-0}" "$KEEPD" run --config "$OUT/node.toml" \
    >"$OUT/timing" <<'PY'
import os, socket, subprocess, sys, time
port, out, nice, command = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
def ask(sock, request):
    sock.sendall(request)
    got = b""
    while not got.endswith(b"\r\n"):
        part = sock.recv(4096)
        if not part:
            raise ConnectionError("closed")
        got += part
    return got
with open(os.path.join(out, "log"), "ab") as log:
    started = time.time()
    keepd = subprocess.Popen(command, stdout=log, stderr=log, preexec_fn=lambda: os.nice(nice))
with open(os.path.join(out, "pid"), "w") as pid_file:
    pid_file.write("%d\n" % keepd.pid)
deadline = started + 60
while True:
    if time.time() > deadline or keepd.poll() is not None:
        sys.exit("keepd did not answer PING within 60 s")
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        if ask(sock, b"*1\r\n$4\r\nPING\r\n") == b"+PONG\r\n":
            break
    except OSError:
        time.sleep(0.002)
pong = time.time()
fields = open("/proc/%d/stat" % keepd.pid).read().rsplit(")", 1)[1].split()
cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
while True:  # an error reply (no leader yet) is one line: ask again
    reply = ask(sock, b"*2\r\n$3\r\nGET\r\n$11\r\nkey:0000000\r\n")
    if reply.startswith(b"$100\r\n") or reply == b"$-1\r\n":
        break
    if time.time() > deadline:
        sys.exit("GET key:0000000 answered %r until the deadline" % reply[:80])
    time.sleep(0.002)
got = time.time()
if nice != 0:
    for task in os.listdir("/proc/%d/task" % keepd.pid):
        os.setpriority(os.PRIO_PROCESS, int(task), 0)
print("%.0f %.0f %.2f" % ((pong - started) * 1000, (got - started) * 1000, cpu))
PY
  KEEPDB_PID=$(cat "$OUT/pid")
}

stop() {  # signal: stops keepd (a child of the poller, so not ours to wait for)
  kill -"$1" "$KEEPDB_PID"
  local deadline=$((SECONDS + 60))
  while kill -0 "$KEEPDB_PID" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { echo "keepd did not exit within 60 s" >&2; exit 1; }
    sleep 0.01
  done
  rm "$OUT/pid"
}

log_mib() { du -sk "$OUT/data/raft/log" | awk '{ printf "%.1f", $1 / 1024 }'; }

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
spawn_and_time
VALUE=$(printf 'v%.0s' $(seq 100))
printf '%9s %-5s %9s %9s %9s %9s\n' keys stop "log MiB" "PONG ms" "GET ms" "CPU s"
loaded=0
for target in $KEYS; do
  awk -v from="$loaded" -v to="$target" -v v="$VALUE" 'BEGIN {
    for (i = from; i < to; i++) printf "*3\r\n$3\r\nSET\r\n$11\r\nkey:%07d\r\n$100\r\n%s\r\n", i, v
  }' | redis-cli -p "$PORT" --pipe >"$OUT/pipe.out" 2>&1 ||
    { echo "redis-cli --pipe failed: $(cat "$OUT/pipe.out")" >&2; exit 1; }
  loaded=$target
  keys=$(redis-cli -p "$PORT" dbsize)
  [ "$keys" = "$target" ] || { echo "DBSIZE $keys after writing $target keys" >&2; exit 1; }
  for how in TERM KILL; do
    for _ in $(seq "$ROUNDS"); do
      stop "$how"
      mib=$(log_mib)
      spawn_and_time
      read -r pong get cpu <"$OUT/timing"
      printf '%9s %-5s %9s %9s %9s %9s\n' "$keys" "$how" "$mib" "$pong" "$get" "$cpu"
    done
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(log MiB: the raft log segments the restart reads; logs and data in $OUT)"
