#!/usr/bin/env bash
# ab.sh: two servers under the same redis-benchmark load, one at a time, in alternating
# rounds, each round on a fresh server after a warm-up: what a change does, measured the way
# this machine allows (its speed moves by ±20% from minute to minute, so only alternating
# rounds compare). A side is a keepd binary (a plain node, A_CONFIG or B_CONFIG appended to its
# config) or `redis` (a durable Redis, appendfsync always). Per round and as medians it prints
# throughput, p50, the server's CPU time per operation (user+sys of all its threads, from
# /proc/PID/stat) and the client's (redis-benchmark's own user+sys), and with COUNT the
# events `perf stat` counts in the server per operation.
#
# Usage: bench/ab.sh A B [redis-benchmark load args]   (default load: -t set -d 256 -c 50)
#   e.g. bench/ab.sh build-bench/kernel/cli/keepd /tmp/old/keepd -t set -d 256 -c 50 -P 16
#        bench/ab.sh build-bench/kernel/cli/keepd redis -t get -d 256 -c 50
# Knobs (env): ROUNDS=5 N=200000 (measured requests) WARMUP=20000 (requests before them)
#   A_CONFIG= B_CONFIG= (TOML lines appended to the side's [client] table, e.g.
#   "io_threads = 1"; a line after a [table] header of its own lands in that table)
#   A_HOOK= B_HOOK= (a shell command run once the side's fresh server answers, with its
#   PID in $SERVER, e.g. to renice one of its threads)
#   THREADS=1 (also each server thread's CPU per operation, by thread name)
#   COUNT="fdatasync epoll_wait recvfrom malloc" (per operation: a name is a system call,
#   counted at its entry, or `malloc`, counted by a uprobe on libc's malloc that this script
#   adds if it is missing; needs root and linux-perf). Counting slows the server, so
#   compare the counts of a COUNT run, and the timings of a run without COUNT.
#   The counts start once perf stat has a counter on every thread (polled, 10 s deadline).
#   OUT=/tmp/keepdb-ab PORT=6551
set -euo pipefail
shopt -s inherit_errexit  # a failure inside measure(), run in $(...), ends the run
cd "$(dirname "$0")/.."
. bench/lib.sh

[ $# -ge 2 ] || { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
SIDES=("$1" "$2")
shift 2
LOAD=("$@")
[ ${#LOAD[@]} -gt 0 ] || LOAD=(-t set -d 256 -c 50)
ROUNDS=${ROUNDS:-5}
N=${N:-200000}
WARMUP=${WARMUP:-20000}
THREADS=${THREADS:-}
COUNT=${COUNT:-}
OUT=${OUT:-/tmp/keepdb-ab}
PORT=${PORT:-6551}
CONFIGS=("${A_CONFIG:-}" "${B_CONFIG:-}")
HOOKS=("${A_HOOK:-}" "${B_HOOK:-}")
LABELS=(A B)
HZ=$(getconf CLK_TCK)

for side in "${SIDES[@]}"; do
  [ "$side" = redis ] || [ -x "$side" ] || { echo "ab.sh: $side is neither a keepd binary nor 'redis'" >&2; exit 2; }
done

EVENTS=""
if [ -n "$COUNT" ]; then
  command -v perf >/dev/null || { echo "ab.sh: COUNT needs perf (linux-perf)" >&2; exit 2; }
  tracepoints=$(perf list --raw-dump tracepoint 2>/dev/null | tr ' ' '\n')
  for name in $COUNT; do
    if [ "$name" = malloc ]; then
      if ! perf probe -l 2>/dev/null | grep -q 'probe_libc:malloc '; then
        libc=$(ldconfig -p | awk '/libc\.so\.6 .*x86-64/ { print $NF; exit }')
        perf probe -q -x "$libc" malloc
      fi
      EVENTS+="${EVENTS:+,}probe_libc:malloc"
    else
      grep -qx "syscalls:sys_enter_$name" <<<"$tracepoints" ||
        { echo "ab.sh: COUNT: no system call named $name (perf list tracepoint)" >&2; exit 2; }
      EVENTS+="${EVENTS:+,}syscalls:sys_enter_$name"
    fi
  done
fi

rm -rf "$OUT" && mkdir -p "$OUT" && chmod 700 "$OUT"
SERVER=""
cleanup() { [ -z "$SERVER" ] || kill "$SERVER" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

# start SIDE-INDEX DIR: a fresh server of that side in DIR; sets SERVER.
start() {
  local side=${SIDES[$1]} dir=$2
  mkdir -m 700 "$dir"
  if [ "$side" = redis ]; then
    durable_redis "$dir" "$PORT"
    SERVER=$REDIS_PID
    return
  fi
  cat >"$dir/node.toml" <<TOML
node_id = 1
[storage]
data_dir = "$dir/data"
[limits]
idle_timeout_ms = 0
[client]
host = "127.0.0.1"
port = $PORT
${CONFIGS[$1]}
TOML
  "$side" run --config "$dir/node.toml" 2>"$dir/log" &
  SERVER=$!
}

# thread_ticks PID: "name ticks" for each thread name (threads of one name summed).
thread_ticks() {
  local task
  for task in /proc/"$1"/task/*; do
    echo "$(tr ' ' _ <"$task/comm") $(cpu_ticks "${task#/proc/}")"
  done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}

# format_row LABEL "rps p50 server_us client_us [count/op...]": one line of the table.
format_row() {
  echo "$2" | awk -v l="$1" '{ printf "%-6s %10.0f %8.3f %10.2f %10.2f", l, $1, $2, $3, $4
    for (i = 5; i <= NF; i++) printf " %11.3f", $i
    print "" }'
}

# wait_for_counters PERF-PID SERVER-PID: polls, with a 10 s deadline, until `perf stat` has
# opened a counter for every event on every thread of the server (it attaches after it
# starts, and no event of the load may be missed).
wait_for_counters() {
  local want=$(($(tr ',' '\n' <<<"$EVENTS" | wc -l) * $(find "/proc/$2/task" -mindepth 1 -maxdepth 1 | wc -l)))
  local deadline=$((SECONDS + 10))
  until [ "$(find "/proc/$1/fd" -lname 'anon_inode:*perf_event*' 2>/dev/null | wc -l)" -ge "$want" ]; do
    [ $SECONDS -lt $deadline ] || { echo "ab.sh: perf stat opened no counters within 10 s" >&2; exit 1; }
    sleep 0.05
  done
}

# measure SIDE-INDEX ROUND: one round; prints "rps p50 server_us client_us [count/op...]".
# Runs in a subshell (the caller captures its output), which stops its server on any exit.
measure() {
  local dir="$OUT/$1-$2" perf_pid="" before after threads_before clock
  trap cleanup EXIT
  start "$1" "$dir"
  wait_for_ping -p "$PORT"
  [ -z "${HOOKS[$1]}" ] || SERVER=$SERVER bash -c "${HOOKS[$1]}"
  # redis-benchmark retries a refused port without end: make sure the server still runs.
  kill -0 "$SERVER" 2>/dev/null || { echo "ab.sh: the server of round ${LABELS[$1]}$2 is gone (its log: $dir/log)" >&2; exit 1; }
  redis-benchmark -p "$PORT" "${LOAD[@]}" -n "$WARMUP" -q >/dev/null 2>&1
  [ -z "$THREADS" ] || threads_before=$(thread_ticks "$SERVER")
  if [ -n "$EVENTS" ]; then
    perf stat -x, -o "$dir/counts" -e "$EVENTS" -p "$SERVER" 2>/dev/null &
    perf_pid=$!
    wait_for_counters "$perf_pid" "$SERVER"
  fi
  before=$(cpu_ticks "$SERVER")
  clock=$( { TIMEFORMAT='%U %S'; time redis-benchmark -p "$PORT" "${LOAD[@]}" -n "$N" --csv \
    >"$dir/csv" 2>/dev/null; } 2>&1)
  after=$(cpu_ticks "$SERVER")
  if [ -n "$perf_pid" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  if [ -n "$THREADS" ]; then
    join <(echo "$threads_before") <(thread_ticks "$SERVER") |
      awk -v hz="$HZ" -v n="$N" -v l="${LABELS[$1]}$2" \
        '{ printf "%-6s   thread %s: %.2f us/op\n", l, $1, ($3 - $2) * 1e6 / hz / n }' >&2
  fi
  kill "$SERVER" 2>/dev/null ||
    { echo "ab.sh: the server of round ${LABELS[$1]}$2 died under the load (its log: $dir/log)" >&2; exit 1; }
  wait "$SERVER" 2>/dev/null || true
  SERVER=""
  local counts=""
  [ -z "$EVENTS" ] || counts=$(awk -F, -v n="$N" '$3 != "" && $1 ~ /^[0-9]+$/ { printf " %.3f", $1 / n }' "$dir/counts")
  awk -F'","' 'NR == 2 { gsub(/"/, ""); split($0, f, ","); print f[2], f[5] }' "$dir/csv" |
    awk -v t=$((after - before)) -v c="$clock" -v hz="$HZ" -v n="$N" -v counts="$counts" \
      '{ split(c, u, " "); printf "%s %s %.2f %.2f%s\n", $1, $2, t * 1e6 / hz / n, (u[1] + u[2]) * 1e6 / n, counts }'
}

echo "A: ${SIDES[0]}${CONFIGS[0]:+ ($(echo "${CONFIGS[0]}" | tr '\n' ' '))}"
echo "B: ${SIDES[1]}${CONFIGS[1]:+ ($(echo "${CONFIGS[1]}" | tr '\n' ' '))}"
echo "load: redis-benchmark ${LOAD[*]} -n $N after $WARMUP, $ROUNDS alternating rounds, fresh servers"
header=$(printf '%-6s %10s %8s %10s %10s' side op/s "p50 ms" "server us" "client us")
for name in $COUNT; do header+=$(printf ' %11s' "$name/op"); done
echo "$header"
results=("" "")
for ((round = 1; round <= ROUNDS; round++)); do
  for side in 0 1; do
    line=$(measure "$side" "$round")
    results[side]+="$line"$'\n'
    format_row "${LABELS[side]}$round" "$line"
  done
done
for side in 0 1; do
  format_row "${LABELS[side]} med" "$(printf '%s' "${results[side]}" | medians)"
done
echo "(server us, client us: CPU time per request, user+sys; server and client share the machine's cores)"
