# bench/lib.sh: helpers the whole-server benchmark scripts share; source it, do not run it.
# shellcheck shell=bash

# medians: reads lines of numbers in columns (as many rounds as lines) and prints one line,
# the median of each column.
medians() {
  awk '{ for (i = 1; i <= NF; i++) v[i, NR] = $i; columns = NF }
    END {
      for (i = 1; i <= columns; i++) {
        for (r = 1; r <= NR; r++) s[r] = v[i, r]
        for (a = 2; a <= NR; a++)
          for (b = a; b > 1 && s[b] + 0 < s[b - 1] + 0; b--) { t = s[b]; s[b] = s[b - 1]; s[b - 1] = t }
        printf "%s%s", (i > 1 ? " " : ""), s[int((NR + 1) / 2)]
      }
      print ""
    }'
}

# wait_for_ping REDIS-CLI-ARGS...: polls PING until PONG, with a 10 s deadline.
wait_for_ping() {
  local deadline=$((SECONDS + 10))
  until redis-cli "$@" --no-auth-warning ping 2>/dev/null | grep -q PONG; do
    [ $SECONDS -lt $deadline ] || { echo "no PONG from redis-cli $* within 10 s" >&2; return 1; }
    sleep 0.05
  done
}

# release_keepd: unless KEEPD names a keepd, builds a Release one into build-bench/ and sets
# KEEPD to it. Run from the repository root.
release_keepd() {
  if [ -z "${KEEPD:-}" ]; then
    cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build-bench -j2 --target keepd >/dev/null
    KEEPD=build-bench/kernel/cli/keepd
  fi
}

# cpu_ticks PID: user + system CPU time of the process, all its threads, in clock ticks
# (getconf CLK_TCK a second).
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# durable_redis DIR PORT [redis-server args...]: starts Redis on 127.0.0.1:PORT with the AOF
# synced before every reply (appendonly yes, appendfsync always), data and log in DIR (run
# from DIR: Redis writes nothing into the current directory), in the background; sets
# REDIS_PID. The caller stops it.
durable_redis() {
  local dir=$1 port=$2
  shift 2
  (cd "$dir" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' --dir "$dir" \
    --appendonly yes --appendfsync always "$@" >"$dir/log" 2>&1) &
  # shellcheck disable=SC2034 # for the caller
  REDIS_PID=$!
}
