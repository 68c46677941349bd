#!/usr/bin/env bash
# Runs a real Apache Kafka 3.9.1 node in KRaft combined mode (broker and
# controller in one JVM) in the foreground, for tests and benchmarks that check
# sluice against the system it imitates. Logs go to stdout; SIGTERM stops it
# cleanly (controlled shutdown).
#
#   deploy/kafka/run.sh --port PORT --data DIR [--node-id N] [--controller-port P]
#                       [--quorum 1@127.0.0.1:P1,2@127.0.0.1:P2,…] [--cluster-id ID]
#                       [--extra-properties FILE] [--add-scram 'SCRAM-SHA-512=[name=u,password=p]']…
#
# Defaults: node id 1, controller port from --quorum (else PORT+1), a quorum of
# this node alone, and a cluster id derived from the quorum (so all members of
# one quorum agree). --extra-properties appends FILE to server.properties (a
# key given again there wins, e.g. listeners= with a SASL_SSL listener added);
# --add-scram creates SCRAM credentials when formatting (kafka-storage.sh). Writes DIR/server.properties, formats DIR/logs once, then
# execs kafka.Kafka. KAFKA_HEAP_OPTS overrides the heap (-Xms512m -Xmx512m),
# KAFKA_OPTS adds JVM flags. Builds the jars first if needed (build.sh) unless
# KAFKA_PEER_NO_BUILD=1, as tests set: they only use what is provisioned.
# Ready when PORT accepts connections and a Metadata request lists the broker.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="" data="" node=1 cport="" quorum="" cluster="" extra=""
scram=()
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --node-id) node="$2"; shift 2 ;;
    --controller-port) cport="$2"; shift 2 ;;
    --quorum) quorum="$2"; shift 2 ;;
    --cluster-id) cluster="$2"; shift 2 ;;
    --extra-properties) extra="$2"; shift 2 ;;
    --add-scram) scram+=(--add-scram "$2"); shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] && [ -n "$data" ] || {
  echo "usage: run.sh --port PORT --data DIR [--node-id N] [--controller-port P] [--quorum 1@host:p,…] [--cluster-id ID]" >&2
  exit 2
}

if [ -z "$cport" ] && [ -n "$quorum" ]; then
  IFS=, read -ra voters <<<"$quorum"
  for v in "${voters[@]}"; do
    if [ "${v%%@*}" = "$node" ]; then cport="${v##*:}"; fi
  done
fi
[ -n "$cport" ] || cport=$((port + 1))
[ -n "$quorum" ] || quorum="$node@127.0.0.1:$cport"
IFS=, read -ra voters <<<"$quorum"
rf=${#voters[@]}
[ "$rf" -le 3 ] || rf=3
if [ -z "$cluster" ]; then
  # 16 bytes of md5 as unpadded base64url: the 22-character form of a Kafka Uuid.
  hex="$(printf 'sluice-kafka %s' "$quorum" | md5sum | cut -d' ' -f1)"
  # shellcheck disable=SC2059 # the format is the \xNN escapes of the digest
  cluster="$(printf "$(sed 's/../\\x&/g' <<<"$hex")" | base64 | tr '+/' '-_' | tr -d '=')"
fi

if [ "${KAFKA_PEER_NO_BUILD:-}" != 1 ]; then "$here/build.sh" >&2; fi
. "$here/bin/common.sh"
kafka_check_libs

mkdir -p "$data"
data="$(cd "$data" && pwd)"
cat >"$data/server.properties" <<PROPS
# Written by deploy/kafka/run.sh
node.id=$node
process.roles=broker,controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.voters=$quorum
log.dirs=$data/logs
num.partitions=1
default.replication.factor=$rf
offsets.topic.replication.factor=$rf
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
if [ -n "$extra" ]; then
  { echo "# From $extra"; cat "$extra"; } >>"$data/server.properties"
fi

jvm=(${KAFKA_HEAP_OPTS:--Xms512m -Xmx512m} -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20
  -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
  -Dlog4j.configuration="file:$here/log4j.properties" ${KAFKA_OPTS:-} -cp "$kafka_libs/*")

if [ ! -f "$data/logs/meta.properties" ]; then
  echo "run.sh: formatting $data/logs (cluster id $cluster, node $node)"
  java "${jvm[@]}" -Dlog4j.configuration="file:$here/tools-log4j.properties" \
    kafka.tools.StorageTool format --cluster-id="$cluster" -c "$data/server.properties" --ignore-formatted ${scram[@]+"${scram[@]}"}
fi

exec java "${jvm[@]}" kafka.Kafka "$data/server.properties"
