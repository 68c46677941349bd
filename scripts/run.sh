#!/usr/bin/env bash
# `make run`: the main job as far as it exists today. `sluice up` (agent and
# indexer in one process) is still being built; today this starts, on
# loopback, what exists: a sluice coordinator (ZooKeeper protocol, :2181),
# a sluice broker (Kafka protocol, :9092) registered in it, and the
# development Elasticsearch node (:9200) the indexer will write into. It
# runs in the foreground until Ctrl-C, which stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${SLUICE_DATA:-./data}"
zk_port="${ZK_PORT:-2181}" kafka_port="${KAFKA_PORT:-9092}" es_port="${ES_PORT:-9200}"

command -v java >/dev/null && command -v mvn >/dev/null || bash scripts/peers.sh
bash deploy/elasticsearch/build.sh
mkdir -p "$data/coordinator" "$data/broker" "$data/elasticsearch"
cat >"$data/coordinator/zoo.cfg" <<CFG
tickTime=2000
dataDir=$(cd "$data/coordinator" && pwd)
clientPort=$zk_port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=ruok,srvr,stat,mntr
CFG
cat >"$data/broker/server.properties" <<CFG
broker.id=1
listeners=PLAINTEXT://127.0.0.1:$kafka_port
log.dirs=$(cd "$data/broker" && pwd)/logs
zookeeper.connect=127.0.0.1:$zk_port
num.partitions=3
CFG

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
bin/sluice coordinator --config "$data/coordinator/zoo.cfg" 2>"$data/coordinator/sluice.log" & pids+=($!)
until bin/sluice coordinator --config "$data/coordinator/zoo.cfg" status >/dev/null 2>&1; do sleep 0.2; done
bin/sluice broker --config "$data/broker/server.properties" 2>"$data/broker/sluice.log" & pids+=($!)
bash deploy/elasticsearch/run.sh --port "$es_port" --data "$data/elasticsearch" >"$data/elasticsearch/node.log" 2>&1 & pids+=($!)

cat <<MSG
sluice $(bin/sluice version | cut -d' ' -f2) is running on loopback (logs in $data/*/):
  coordinator (ZooKeeper protocol)  127.0.0.1:$zk_port    /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$zk_port ls /brokers/ids
  broker (Kafka protocol)           127.0.0.1:$kafka_port    bin/sluice topics --bootstrap-server 127.0.0.1:$kafka_port --describe
  Elasticsearch (dev node)          http://127.0.0.1:$es_port (ready in a few seconds)
Try:
  bin/sluice topics --bootstrap-server 127.0.0.1:$kafka_port --create --topic magedu --partitions 3 --replication-factor 1
  seq 1 1000 | bin/sluice console-producer --bootstrap-server 127.0.0.1:$kafka_port --topic magedu
  bin/sluice console-consumer --bootstrap-server 127.0.0.1:$kafka_port --topic magedu --from-beginning --max-messages 1000 | tail -1
  curl -s 'http://127.0.0.1:$es_port/'
Not yet here: the agent, the pipelines/indexer and \`sluice up\` (see README, "Status"). Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
