#!/usr/bin/env bash
# A local sluice cluster on loopback for anyone to try: a three-member
# coordinator ensemble (ZooKeeper protocol), three brokers (Kafka protocol,
# every topic with three replicas), an indexer writing into Elasticsearch
# and an agent tailing $SLUICE_CLUSTER_DIR/logs/{nginx,syslog,app}*,
# each a separate process with its own data directory.
#
#   deploy/cluster.sh up       # start what is not running (builds bin/sluice if missing)
#   deploy/cluster.sh status   # each member's mode, each process's state
#   deploy/cluster.sh down     # stop everything
#
# Environment: SLUICE_CLUSTER_DIR (default ./data/cluster), ZK_BASE_PORT
# (default 2181: members on 2181..2183, peers on 2888.., 3888..),
# KAFKA_BASE_PORT (default 9092: brokers on 9092..9094), ES_URL (default
# http://127.0.0.1:9200; deploy/elasticsearch/run.sh starts a dev node; the
# indexer waits for it), SLUICE_PIPELINES (default examples/pipelines),
# INDEXER_METRICS and AGENT_METRICS (their /metrics: 127.0.0.1:9600, :5066).
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${SLUICE_CLUSTER_DIR:-./data/cluster}"
zk="${ZK_BASE_PORT:-2181}" kafka="${KAFKA_BASE_PORT:-9092}"
peer="${ZK_PEER_BASE_PORT:-$((zk + 707))}" election="${ZK_ELECTION_BASE_PORT:-$((zk + 1707))}"
bin="${SLUICE_BIN:-bin/sluice}"
es="${ES_URL:-http://127.0.0.1:9200}"
pipelines="$(cd "${SLUICE_PIPELINES:-examples/pipelines}" && pwd)"

connect() { local s=""; for i in 1 2 3; do s+="${s:+,}127.0.0.1:$((zk + i - 1))"; done; echo "$s"; }
brokers() { local s=""; for i in 1 2 3; do s+="${s:+, }\"127.0.0.1:$((kafka + i - 1))\""; done; echo "[$s]"; }

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
offsets.topic.replication.factor=3
zookeeper.session.timeout.ms=6000
replica.lag.time.max.ms=10000
CFG
    start "broker$i" "$bin" broker --config "$d/server.properties"
  done
  for i in 1 2 3; do
    until (exec 3<>"/dev/tcp/127.0.0.1/$((kafka + i - 1))") 2>/dev/null; do sleep 0.2; done
  done
  mkdir -p "$dir/indexer" "$dir/agent" "$dir/logs"
  {
    echo "kafka: {hosts: $(brokers), group: sluice-indexer}"
    echo "elasticsearch: {hosts: [\"$es\"]}"
    echo "dead_letter_topic: sluice-dlq"
    echo "routes:"
    for s in nginx syslog app; do
      p=$s; [ "$s" = app ] && p=app-json
      echo "  - {topics: [logs-$s], pipeline: $pipelines/$p.yml, index: \"logs-$s-%{+yyyy.MM.dd}\"}"
    done
  } >"$dir/indexer/indexer.yml"
  {
    echo "inputs:"
    for s in nginx syslog app; do
      echo "  - {id: $s, paths: [\"$dir/logs/$s*\"], fields: {service: $s}, scan_frequency: 1s}"
    done
    echo "output.kafka: {hosts: $(brokers), topic: 'logs-%{[fields.service]}'}"
    echo "registry.path: $dir/agent/registry"
  } >"$dir/agent/agent.yml"
  start indexer "$bin" indexer -c "$dir/indexer/indexer.yml" --metrics "${INDEXER_METRICS:-127.0.0.1:9600}"
  start agent "$bin" agent -c "$dir/agent/agent.yml" -e --metrics-addr "${AGENT_METRICS:-127.0.0.1:5066}"
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
  for p in indexer agent; do
    local state=down
    if [ -f "$dir/$p.pid" ] && kill -0 "$(cat "$dir/$p.pid")" 2>/dev/null; then state=running; fi
    printf '%-14s %-16s %s\n' "$p" "" "$state"
  done
  echo "try: $bin topics --bootstrap-server 127.0.0.1:$kafka --describe"
  echo "     append lines to $dir/logs/nginx-access.log, then: curl -s '$es/logs-*/_count'"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: deploy/cluster.sh up|down|status" >&2; exit 2 ;;
esac
