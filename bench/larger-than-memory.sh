#!/usr/bin/env bash
# larger-than-memory.sh: a node whose data is several times the memory it may use keeps
# working. Starts one keepd in a memory cgroup of its own (a child of the cgroup this script
# runs in; cgroup v2 memory.max, or v1 memory.limit_in_bytes, both of which count the page
# cache of LMDB's mapped file), loads KEYS keys (key:<8 digits>, VALUE_BYTES-byte values,
# `redis-cli --pipe`) in STEPS steps, and after each prints the LMDB file's size, keepd's
# RSS (anonymous and file-mapped), the cgroup's peak charge and its OOM kills. Then it reads
# SAMPLES random keys and checks every value, restarts the node in the same cgroup and reads
# them again: data larger than memory is served from disk through the page cache, which
# the kernel trims to the limit.
#
# Usage: bench/larger-than-memory.sh            (builds a Release keepd into build-bench/)
# Knobs (env): KEEPD=path/to/keepd  LIMIT_MIB=256  KEYS=2000000  VALUE_BYTES=1000  STEPS=4
#              SAMPLES=20000  OUT=/tmp/keepdb-larger  PORT=6541
# Needs root and a writable memory cgroup (v2 with the memory controller, or v1).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

LIMIT_MIB=${LIMIT_MIB:-256}
KEYS=${KEYS:-2000000}
VALUE_BYTES=${VALUE_BYTES:-1000}
STEPS=${STEPS:-4}
SAMPLES=${SAMPLES:-20000}
OUT=${OUT:-/tmp/keepdb-larger}
PORT=${PORT:-6541}
release_keepd

# The memory cgroup: a child of this script's own, so whatever bounds the caller still does.
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
  CGROUP=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)/keepdb-larger-$$
  LIMIT_FILE=memory.max PEAK_FILE=memory.peak
elif [ -d /sys/fs/cgroup/memory ]; then
  CGROUP=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)/keepdb-larger-$$
  LIMIT_FILE=memory.limit_in_bytes PEAK_FILE=memory.max_usage_in_bytes
else
  echo "no memory cgroup controller under /sys/fs/cgroup" >&2
  exit 1
fi
mkdir "$CGROUP" || { echo "cannot create $CGROUP (root needed)" >&2; exit 1; }
echo $((LIMIT_MIB << 20)) >"$CGROUP/$LIMIT_FILE"

rm -rf "$OUT" && mkdir -p -m 700 "$OUT"
KEEPDB_PID=
cleanup() {
  [ -z "$KEEPDB_PID" ] || kill -9 "$KEEPDB_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rmdir "$CGROUP" 2>/dev/null || true
}
trap cleanup EXIT

cat >"$OUT/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "data"
map_size_bytes = 68719476736
[client]
host = "127.0.0.1"
port = $PORT
[limits]
request_timeout_ms = 0  # redis-cli --pipe streams for longer than a request may take
TOML

start_keepdb() {  # in the cgroup: the shell joins it, then becomes keepd
  sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$CGROUP" \
    "$KEEPD" run --config "$OUT/node.toml" 2>>"$OUT/log" &
  KEEPDB_PID=$!
  local deadline=$((SECONDS + 60))
  until redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG; do
    kill -0 "$KEEPDB_PID" 2>/dev/null || { echo "keepd exited: $(tail -3 "$OUT/log")" >&2; exit 1; }
    [ $SECONDS -lt $deadline ] || { echo "keepd did not answer PING within 60 s" >&2; exit 1; }
    sleep 0.05
  done
}

oom_kills() {
  if [ "$LIMIT_FILE" = memory.max ]; then
    awk '$1 == "oom_kill" { print $2 }' "$CGROUP/memory.events"
  else
    awk '$1 == "oom_kill" { print $2 + 0; found = 1 } END { if (!found) print 0 }' \
      "$CGROUP/memory.oom_control"
  fi
}

report() {  # label
  awk -v label="$1" -v keys="$(redis-cli -p "$PORT" dbsize)" \
    -v lmdb="$(stat -c %s "$OUT/data/kv/data.mdb")" -v peak="$(cat "$CGROUP/$PEAK_FILE" 2>/dev/null || echo 0)" \
    -v ooms="$(oom_kills)" '
    /^(VmRSS|RssAnon|RssFile):/ { v[$1] = $2 }
    END {
      printf "%-14s %9d %10.0f %9.0f %9.0f %9.0f %11.0f %5d\n", label, keys, lmdb / 1048576,
        v["VmRSS:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024, peak / 1048576, ooms
    }' "/proc/$KEEPDB_PID/status"
}

# Reads SAMPLES random keys of the first `loaded`, checking each value; prints GET/s.
read_back() {  # loaded
  python3 - "$PORT" "$1" "$SAMPLES" "$VALUE_BYTES" <<'PY'
import random, socket, sys, time
port, loaded, samples, size = (int(a) for a in sys.argv[1:])
sock = socket.create_connection(("127.0.0.1", port))
stream = sock.makefile("rb")
started = time.monotonic()
for _ in range(samples):
    i = random.randrange(loaded)
    key = b"key:%08d" % i
    sock.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key))
    header = stream.readline()
    if header != b"$%d\r\n" % size:
        sys.exit("GET %s answered %r" % (key.decode(), header))
    if stream.read(size + 2) != bytes([97 + i % 26]) * size + b"\r\n":
        sys.exit("GET %s returned another value" % key.decode())
print("%.0f" % (samples / (time.monotonic() - started)))
PY
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); cgroup $CGROUP, limit $LIMIT_MIB MiB"
start_keepdb
printf '%-14s %9s %10s %9s %9s %9s %11s %5s\n' "" keys "LMDB MiB" "RSS MiB" "anon MiB" \
  "file MiB" "peak MiB" OOMs
loaded=0
for step in $(seq "$STEPS"); do
  target=$((KEYS * step / STEPS))
  awk -v from="$loaded" -v to="$target" -v n="$VALUE_BYTES" 'BEGIN {
    for (c = 0; c < 26; c++) { v[c] = ""; for (j = 0; j < n; j++) v[c] = v[c] sprintf("%c", 97 + c) }
    for (i = from; i < to; i++)
      printf "*3\r\n$3\r\nSET\r\n$12\r\nkey:%08d\r\n$%d\r\n%s\r\n", i, n, v[i % 26]
  }' | redis-cli -p "$PORT" --pipe >"$OUT/pipe.out" 2>&1 ||
    { echo "redis-cli --pipe failed: $(cat "$OUT/pipe.out")" >&2; exit 1; }
  loaded=$target
  report "loaded"
done
echo "random GETs, values checked: $(read_back "$loaded") GET/s"
report "after reads"
kill -TERM "$KEEPDB_PID"
wait "$KEEPDB_PID" 2>/dev/null || true
start_keepdb
echo "restarted in the cgroup; random GETs: $(read_back "$loaded") GET/s"
report "restarted"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(peak: the cgroup's highest charge, page cache included; logs and data in $OUT)"
