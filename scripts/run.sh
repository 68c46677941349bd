#!/usr/bin/env bash
# `make run`: the whole job on one machine, on loopback. It builds sluice,
# starts the development Elasticsearch node (deploy/elasticsearch), copies
# the sample logs of examples/logs/ into the data folder, starts
# `sluice generate` appending realistic nginx/syslog/JSON lines to those
# copies, and runs `sluice up` in the foreground: it tails them, runs each
# through its pipeline of examples/pipelines/ and indexes them into
# Elasticsearch, printing a live line. Ctrl-C stops everything (nothing read
# is lost: the next `make run` carries on from the same data folder).
#
# Environment:
#   SLUICE_DATA         data folder (default ./data)
#   ZK_PORT KAFKA_PORT ES_PORT   ports (default 2181, 9092, 9200)
#   SLUICE_RUN_SECONDS  stop by itself after this many seconds of `sluice up`
#                       (default 0: until Ctrl-C)
#   SLUICE_RATE         lines a second the generator appends (default 50)
#   SLUICE_BIN          a sluice binary to use instead of building bin/sluice
#   SLUICE_ES_NO_BUILD  1: do not provision or build the Elasticsearch node (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${SLUICE_DATA:-./data}"
zk_port="${ZK_PORT:-2181}" kafka_port="${KAFKA_PORT:-9092}" es_port="${ES_PORT:-9200}"
run_seconds="${SLUICE_RUN_SECONDS:-0}" rate="${SLUICE_RATE:-50}"
es="http://127.0.0.1:$es_port"

bin="${SLUICE_BIN:-}"
if [[ -z "$bin" ]]; then
	make -s build
	bin=bin/sluice
fi
if [[ "${SLUICE_ES_NO_BUILD:-}" != 1 ]]; then
	command -v java >/dev/null && command -v mvn >/dev/null || bash scripts/peers.sh
	bash deploy/elasticsearch/build.sh
fi
mkdir -p "$data/elasticsearch" "$data/logs"
for f in examples/logs/*.log; do # the generator appends to copies: the work tree stays clean
	[[ -e "$data/logs/${f##*/}" ]] || cp "$f" "$data/logs/"
done

pids=()
cleanup() {
	((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
	wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
SLUICE_ES_NO_BUILD=1 bash deploy/elasticsearch/run.sh --port "$es_port" --data "$data/elasticsearch" >"$data/elasticsearch/node.log" 2>&1 &
pids+=($!)
"$bin" generate --dir "$data/logs" --rate "$rate" 2>>"$data/generate.log" &
pids+=($!)

printf 'waiting for Elasticsearch at %s (log in %s)...\n' "$es" "$data/elasticsearch/node.log"
es_up() { (exec 3<>"/dev/tcp/127.0.0.1/$es_port") 2>/dev/null; }
for ((i = 0; ; i++)); do
	es_up && break
	if ! kill -0 "${pids[0]}" 2>/dev/null || ((i > 600)); then
		tail -20 "$data/elasticsearch/node.log" >&2
		echo "make run: Elasticsearch did not start" >&2
		exit 1
	fi
	sleep 0.5
done

cat <<MSG

sluice $("$bin" version | cut -d' ' -f2) on loopback: Elasticsearch (dev node) at $es, and \`sluice up\`
(coordinator 127.0.0.1:$zk_port, broker 127.0.0.1:$kafka_port, agent and indexer in one process)
tailing $data/logs/ — copies of examples/logs/ to which \`sluice generate\` appends $rate lines/s.
Each file goes through its pipeline of examples/pipelines/ into the index logs-YYYY.MM.DD.

Search (from another terminal):
  curl -s '$es/logs-*/_search?q=http.response.status_code:404&size=1&pretty'
  curl -s '$es/logs-*/_search?q=input.id:syslog+AND+process.name:sshd&size=1&pretty'
  curl -s '$es/logs-*/_count?q=log.level:error'
  curl -s '$es/_cat/indices/logs-*?v'
Kibana pointed at $es: index pattern logs-*, time field @timestamp.
The broker and coordinator answer Kafka and ZooKeeper tools:
  $bin topics --bootstrap-server 127.0.0.1:$kafka_port --describe
  $bin groups --bootstrap-server 127.0.0.1:$kafka_port --describe --all-groups
  /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$zk_port ls /brokers/topics
Ctrl-C stops everything.

MSG
stop=()
((run_seconds > 0)) && stop=(--stop-after "${run_seconds}s")
"$bin" up --data "$data" \
	--tail "$data/logs/nginx*.log" --tail "$data/logs/syslog*.log" --tail "$data/logs/app-json*.log" \
	--pipelines examples/pipelines --es "$es" \
	--coordinator-addr "127.0.0.1:$zk_port" --broker-addr "127.0.0.1:$kafka_port" \
	"${stop[@]}"
