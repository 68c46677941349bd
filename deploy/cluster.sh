#!/usr/bin/env bash
# A local sluice cluster on loopback for anyone to try: a three-member
# coordinator ensemble (ZooKeeper protocol) and three brokers (Kafka
# protocol), each a separate process with its own data directory.
#
#   deploy/cluster.sh up       # start (builds bin/sluice if missing)
#   deploy/cluster.sh status   # each member's mode, each broker's port
#   deploy/cluster.sh down     # stop everything
#
# Environment: SLUICE_CLUSTER_DIR (default ./data/cluster), ZK_BASE_PORT
# (default 2181: members on 2181..2183, peers on 2888.., 3888..),
# KAFKA_BASE_PORT (default 9092: brokers on 9092..9094).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${SLUICE_CLUSTER_DIR:-./data/cluster}"
zk="${ZK_BASE_PORT:-2181}" kafka="${KAFKA_BASE_PORT:-9092}"
peer="${ZK_PEER_BASE_PORT:-$((zk + 707))}" election="${ZK_ELECTION_BASE_PORT:-$((zk + 1707))}"
bin="${SLUICE_BIN:-bin/sluice}"

connect() { local s=""; for i in 1 2 3; do s+="${s:+,}127.0.0.1:$((zk + i - 1))"; done; echo "$s"; }

up() {
  [ -x "$bin" ] || make build >/dev/null
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  for i in 1 2 3; do
    d="$dir/coordinator$i"
    mkdir -p "$d"
    echo "$i" >"$d/myid"
    {
      echo "tickTime=2000"; echo "initLimit=10"; echo "syncLimit=5"
      echo "dataDir=$d"; echo "clientPort=$((zk + i - 1))"; echo "clientPortAddress=127.0.0.1"
      echo "4lw.commands.whitelist=ruok,srvr,stat,mntr"
      for j in 1 2 3; do echo "server.$j=127.0.0.1:$((peer + j - 1)):$((election + j - 1))"; done
    } >"$d/zoo.cfg"
    start "coordinator$i" "$bin" coordinator --config "$d/zoo.cfg"
  done
  for i in 1 2 3; do
    until [ "$("$bin" coordinator --config "$dir/coordinator$i/zoo.cfg" status 2>/dev/null | grep -c Mode)" = 1 ]; do sleep 0.2; done
  done
  for i in 1 2 3; do
    d="$dir/broker$i"
    mkdir -p "$d"
    cat >"$d/server.properties" <<CFG
broker.id=$i
listeners=PLAINTEXT://127.0.0.1:$((kafka + i - 1))
log.dirs=$d/logs
zookeeper.connect=$(connect)
num.partitions=3
default.replication.factor=3
CFG
    start "broker$i" "$bin" broker --config "$d/server.properties"
  done
  status
}

# start runs one process in the background, its pid and log in $dir.
start() {
  local name="$1"; shift
  if [ -f "$dir/$name.pid" ] && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then return; fi
  nohup "$@" >"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}

down() {
  for f in "$dir"/*.pid; do
    [ -f "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
}

status() {
  for i in 1 2 3; do
    local mode
    mode=$("$bin" coordinator --config "$dir/coordinator$i/zoo.cfg" status 2>/dev/null | sed -n 's/^Mode: //p') || true
    echo "coordinator $i  127.0.0.1:$((zk + i - 1))  ${mode:-down}"
  done
  for i in 1 2 3; do
    local state=down
    if [ -f "$dir/broker$i.pid" ] && kill -0 "$(cat "$dir/broker$i.pid")" 2>/dev/null; then state=running; fi
    echo "broker $i       127.0.0.1:$((kafka + i - 1))  $state"
  done
  echo "try: $bin topics --bootstrap-server 127.0.0.1:$kafka --describe"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: deploy/cluster.sh up|down|status" >&2; exit 2 ;;
esac
