#!/usr/bin/env bash
# Runs a local 3-node KeepDB cluster on loopback: generates the cluster secret (once, mode
# 0600) and one config per node under a data dir, starts every keepd with a pid file and a
# log, and waits (with a deadline) until the cluster has a leader that is ready to take writes.
#
#   scripts/cluster.sh start    # configs, data, logs and pid files under $CLUSTER_DIR
#   scripts/cluster.sh start --tls  # the same over TLS: clients on TLS, peers on mutual TLS
#   scripts/cluster.sh start --prod # the nodes of profiles/prod.toml (see below)
#   scripts/cluster.sh status   # pid, role, leader, term, commit and applied index per node
#   scripts/cluster.sh stop     # SIGTERM, wait, SIGKILL after the deadline
#
# TLS mode makes test certificates with scripts/gen-certs.sh in $CLUSTER_DIR/tls (once; NOT
# for production: the CA key lies beside them) and loads plugins/tls twice: `tls-clients`
# on the client listener, `tls-peers` (require_client_cert, member identities node1..nodeN)
# as [cluster] transport. Talk to it with
#   redis-cli -p 6381 --tls --cacert $CLUSTER_DIR/tls/ca.pem
#
# Prod mode runs profiles/prod.toml itself on one machine: each node's config is the profile
# with its placeholders filled for loopback (addresses, ports, paths under $CLUSTER_DIR, the
# sha256 of each plugin library copied to $CLUSTER_DIR/plugins, member identities node1..nodeN)
# and nothing else changed: TLS for clients, mutual TLS between nodes, auth-token, ratelimit,
# a fail_closed audit log per node (audit/nodeN.log), level "prod". It makes the test
# certificates, the cluster secret and one token with every role ($CLUSTER_DIR/ops-token; the
# tokens file holds its hash), and runs `keepd config check` before it starts a node. As
# root it accepts "run-as-root" and says so. Talk to it with
#   REDISCLI_AUTH=$(cat $CLUSTER_DIR/ops-token) redis-cli -p 6381 --tls --cacert $CLUSTER_DIR/tls/ca.pem
# /metrics and /health are on 127.0.0.1:$OPERATOR_BASE.. (9381..9383).
# The mode sticks to the directory: status and a later start use it too.
#
# Environment: CLUSTER_DIR (default ./data/cluster), KEEPD (default build/kernel/cli/keepd),
# PLUGIN_DIR (the directory of libkeepdb_tls.so, default build/plugins/tls; prod mode finds
# the other plugins beside it, in ../auth-token, ../ratelimit and ../audit),
# CLIENT_BASE (6381: clients on 6381..6383), PEER_BASE (7381: peers on 7381..7383),
# OPERATOR_BASE (9381, prod mode), NODES (3), DEADLINE_S (30).
set -euo pipefail

CLUSTER_DIR=${CLUSTER_DIR:-./data/cluster}
KEEPD=${KEEPD:-build/kernel/cli/keepd}
PLUGIN_DIR=${PLUGIN_DIR:-build/plugins/tls}
CLIENT_BASE=${CLIENT_BASE:-6381}
PEER_BASE=${PEER_BASE:-7381}
OPERATOR_BASE=${OPERATOR_BASE:-9381}
NODES=${NODES:-3}
DEADLINE_S=${DEADLINE_S:-30}
PROFILE="$(dirname "$0")/../profiles/prod.toml"

die() { echo "cluster.sh: $*" >&2; exit 1; }

node_pid() {  # prints the pid of node $1 if it is running
  local file="$CLUSTER_DIR/node$1.pid"
  [[ -f $file ]] || return 1
  local pid
  pid=$(<"$file")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

tls_mode() { [[ -f $CLUSTER_DIR/tls-mode || -f $CLUSTER_DIR/prod-mode ]]; }
prod_mode() { [[ -f $CLUSTER_DIR/prod-mode ]]; }

info_field() {  # info_field PORT FIELD
  local tls=() auth=()
  tls_mode && tls=(--tls --cacert "$CLUSTER_DIR/tls/ca.pem")
  prod_mode && auth=("REDISCLI_AUTH=$(<"$CLUSTER_DIR/ops-token")")  # not on the command line
  env "${auth[@]}" redis-cli -p "$1" "${tls[@]}" info replication 2>/dev/null | tr -d '\r' |
    sed -n "s/^$2://p"
}

write_tls_tables() {  # write_tls_tables N: the two plugins/tls instances of node N
  echo "[plugins]"
  echo "dir = \"$(cd "$PLUGIN_DIR" && pwd)\""
  local name
  for name in tls-clients tls-peers; do
    echo "[[plugin]]"
    echo "name = \"$name\""
    echo "path = \"libkeepdb_tls.so\""
    echo "[plugin.options]"
    echo "cert_file = \"tls/node$1.pem\""
    echo "key_file = \"tls/node$1.key\""
    echo "ca_file = \"tls/ca.pem\""
    [[ $name == tls-peers ]] && echo "require_client_cert = true"
  done
}

plugin_library() {  # plugin_library NAME: the built lib<NAME>.so of prod mode
  local dir
  case $1 in
    keepdb_tls) dir=tls ;;
    keepdb_auth_token) dir=auth-token ;;
    keepdb_ratelimit) dir=ratelimit ;;
    keepdb_audit) dir=audit ;;
  esac
  echo "$PLUGIN_DIR/../$dir/lib$1.so"
}

# Prod mode's files: the plugins (copied, so that the directory keepd trusts holds only
# them), the token, the tokens file and the audit directory.
prepare_prod() {
  local name lib
  mkdir -p "$CLUSTER_DIR/plugins" "$CLUSTER_DIR/audit"
  chmod 755 "$CLUSTER_DIR/plugins"
  chmod 700 "$CLUSTER_DIR/audit"
  for name in keepdb_tls keepdb_auth_token keepdb_ratelimit keepdb_audit; do
    lib=$(plugin_library "$name")
    [[ -f $lib ]] || die "no $lib (build first, or set PLUGIN_DIR)"
    install -m 0755 "$lib" "$CLUSTER_DIR/plugins/"
  done
  [[ -s $CLUSTER_DIR/ops-token ]] && return
  local made token hash
  made=$("$KEEPD" token new) || die "keepd token new failed"
  token=$(sed -n 's/^token  //p' <<<"$made")
  hash=$(sed -n 's/^sha256 //p' <<<"$made")
  [[ -n $token && -n $hash ]] || die "unexpected output from keepd token new"
  (umask 077 && printf '%s\n' "$token" >"$CLUSTER_DIR/ops-token" &&
    printf '%s read,write,admin ops\n' "$hash" >"$CLUSTER_DIR/tokens")
}

# Node N's config: profiles/prod.toml with its placeholders filled for this machine.
write_prod_config() {  # write_prod_config N
  local n=$1 dir m name edits=()
  dir=$(cd "$CLUSTER_DIR" && pwd)
  edits+=(-e "s|^node_id = 1$|node_id = $n|"
    -e "s|/etc/keepdb/tls/node\.|$dir/tls/node$n.|"
    -e "s|/etc/keepdb/|$dir/|"
    -e "s|/var/lib/keepdb/plugins|$dir/plugins|; s|/usr/lib/keepdb/plugins|$dir/plugins|"
    -e "s|^data_dir = \"/var/lib/keepdb\"|data_dir = \"$dir/node$n\"|"
    -e "s|^map_size_bytes = .*|map_size_bytes = 1073741824|"
    -e "s|^host = \"0.0.0.0\"|host = \"127.0.0.1\"|; s|^peer_host = \"0.0.0.0\"|peer_host = \"127.0.0.1\"|"
    -e "s|^port = 6379$|port = $((CLIENT_BASE + n - 1))|; s|^peer_port = 7001$|peer_port = $((PEER_BASE + n - 1))|"
    -e "s|^port = 9121$|port = $((OPERATOR_BASE + n - 1))|"
    -e "s|/var/log/keepdb/audit.log|$dir/audit/node$n.log|; s|^node_id = \"keepdb-1\"|node_id = \"node$n\"|")
  for name in keepdb_tls keepdb_auth_token keepdb_ratelimit keepdb_audit; do
    edits+=(-e "s|\"FILL: sha256sum $dir/plugins/lib$name.so\"|\"$(sha256sum "$CLUSTER_DIR/plugins/lib$name.so" | cut -d' ' -f1)\"|")
  done
  for ((m = 1; m <= 3; m++)); do
    edits+=(-e "s|keepdb-$m.internal:7001|127.0.0.1:$((PEER_BASE + m - 1))|"
      -e "s|keepdb-$m.internal:6379|127.0.0.1:$((CLIENT_BASE + m - 1))|"
      -e "s|^identity = \"keepdb-$m.internal\"|identity = \"node$m\"|")
  done
  ((EUID == 0)) && edits+=(-e 's|^accept_risks = \[\]|accept_risks = ["run-as-root"]  # cluster.sh: keepd runs as root here|')
  {
    echo "# Generated by scripts/cluster.sh from profiles/prod.toml: node $n of a local cluster."
    sed "${edits[@]}" "$PROFILE"
  } >"$CLUSTER_DIR/node$n.toml"
  grep -q '^sha256 = "FILL' "$CLUSTER_DIR/node$n.toml" && die "a placeholder of $PROFILE is left in node$n.toml"
  local check
  if ! check=$("$KEEPD" config check "$CLUSTER_DIR/node$n.toml" 2>&1); then
    die "keepd config check refuses node$n.toml:"$'\n'"$check"
  fi
}

write_config() {  # write_config N
  local n=$1 config="$CLUSTER_DIR/node$1.toml"
  if prod_mode; then
    write_prod_config "$n"
    return
  fi
  {
    echo "# Generated by scripts/cluster.sh: node $n of a local $NODES-node cluster."
    echo "node_id = $n"
    echo "[storage]"
    echo "data_dir = \"node$n\""
    echo "map_size_bytes = 1073741824"
    echo "[client]"
    echo "host = \"127.0.0.1\""
    echo "port = $((CLIENT_BASE + n - 1))"
    tls_mode && echo "transport = \"tls-clients\""
    echo "[cluster]"
    echo "id = \"local-cluster\""
    echo "peer_host = \"127.0.0.1\""
    echo "peer_port = $((PEER_BASE + n - 1))"
    echo "secret_file = \"cluster-secret\""
    tls_mode && echo "transport = \"tls-peers\""
    for ((m = 1; m <= NODES; m++)); do
      echo "[[cluster.member]]"
      echo "id = $m"
      echo "peer = \"127.0.0.1:$((PEER_BASE + m - 1))\""
      echo "client = \"127.0.0.1:$((CLIENT_BASE + m - 1))\""
      tls_mode && echo "identity = \"node$m\""
    done
    if tls_mode; then write_tls_tables "$n"; fi
  } >"$config"
}

write_secret() {  # the secret every node proves to its peers; kept across restarts
  local secret="$CLUSTER_DIR/cluster-secret"
  [[ -s $secret ]] && return
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$secret")
}

start() {
  [[ -x $KEEPD ]] || die "no keepd at $KEEPD (build first, or set KEEPD)"
  mkdir -p "$CLUSTER_DIR"
  chmod 700 "$CLUSTER_DIR"
  write_secret
  case ${1:-} in
    --tls) touch "$CLUSTER_DIR/tls-mode" ;;
    --prod)
      ((NODES == 3)) || die "prod mode runs the 3 members of profiles/prod.toml (NODES=3)"
      touch "$CLUSTER_DIR/prod-mode"
      ;;
    "") ;;
    *) die "usage: $0 start [--tls|--prod]" ;;
  esac
  if tls_mode; then
    [[ -f $PLUGIN_DIR/libkeepdb_tls.so ]] || die "no libkeepdb_tls.so in $PLUGIN_DIR (build first, or set PLUGIN_DIR)"
    [[ -f $CLUSTER_DIR/tls/ca.pem ]] ||
      bash "$(dirname "$0")/gen-certs.sh" "$CLUSTER_DIR/tls" "$NODES" 2>/dev/null || die "gen-certs.sh failed"
  fi
  if prod_mode; then
    prepare_prod
    ((EUID == 0)) && echo "cluster.sh: running as root: the configs accept the risk run-as-root"
  fi
  for ((n = 1; n <= NODES; n++)); do
    if node_pid "$n" >/dev/null; then
      echo "node $n already running (pid $(node_pid "$n"))"
      continue
    fi
    write_config "$n"
    "$KEEPD" run --config "$CLUSTER_DIR/node$n.toml" >>"$CLUSTER_DIR/node$n.log" 2>&1 &
    echo $! >"$CLUSTER_DIR/node$n.pid"
    echo "node $n: pid $!, clients on 127.0.0.1:$((CLIENT_BASE + n - 1)), log $CLUSTER_DIR/node$n.log"
  done
  local deadline=$((SECONDS + DEADLINE_S))
  while ((SECONDS < deadline)); do
    for ((n = 1; n <= NODES; n++)); do
      node_pid "$n" >/dev/null || die "node $n exited; see $CLUSTER_DIR/node$n.log"
      local port=$((CLIENT_BASE + n - 1))
      if [[ $(info_field "$port" keepdb_role) == leader && $(info_field "$port" keepdb_leader_ready) == 1 ]]; then
        echo "cluster ready: leader is node $n (127.0.0.1:$port)"
        return 0
      fi
    done
    sleep 0.1
  done
  die "no ready leader within ${DEADLINE_S}s; see the logs in $CLUSTER_DIR"
}

stop() {
  local pids=() n pid
  for ((n = 1; n <= NODES; n++)); do
    if pid=$(node_pid "$n"); then
      kill -TERM "$pid"
      pids+=("$pid")
    fi
  done
  local deadline=$((SECONDS + DEADLINE_S))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "pid $pid did not stop in time: SIGKILL"
      kill -KILL "$pid"
    fi
  done
  for ((n = 1; n <= NODES; n++)); do rm -f "$CLUSTER_DIR/node$n.pid"; done
  echo "stopped ${#pids[@]} node(s)"
}

status() {
  printf '%-5s %-8s %-9s %-7s %-6s %-8s %-8s\n' node pid role leader term commit applied
  for ((n = 1; n <= NODES; n++)); do
    local port=$((CLIENT_BASE + n - 1)) pid
    if pid=$(node_pid "$n"); then
      printf '%-5s %-8s %-9s %-7s %-6s %-8s %-8s\n' "$n" "$pid" "$(info_field "$port" keepdb_role)" \
        "$(info_field "$port" keepdb_leader_id)" "$(info_field "$port" keepdb_term)" \
        "$(info_field "$port" keepdb_commit_index)" "$(info_field "$port" keepdb_applied_index)"
    else
      printf '%-5s %-8s\n' "$n" "down"
    fi
  done
}

case ${1:-} in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start [--tls|--prod]|stop|status" ;;
esac
