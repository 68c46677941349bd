#!/usr/bin/env bash
# `make run`: the main job as far as it exists today. sluice's own roles
# (coordinator, broker, agent, indexer, `sluice up`) are still being built;
# today this starts the development Elasticsearch node that the indexer will
# write into, in the foreground, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
port="${ES_PORT:-9200}"
data="${SLUICE_DATA:-./data}/elasticsearch"

command -v java >/dev/null && command -v mvn >/dev/null || bash scripts/peers.sh
bash deploy/elasticsearch/build.sh
mkdir -p "$data"
cat <<MSG
sluice $(bin/sluice version | cut -d' ' -f2): starting the development Elasticsearch node on http://127.0.0.1:$port (data in $data).
Not yet here: the coordinator, broker, agent, indexer and \`sluice up\` (see README, "Status").
When it answers, try:
  curl -s 'http://127.0.0.1:$port/'
  curl -s -XPOST 'http://127.0.0.1:$port/logs-demo/_doc?refresh=true' -H 'Content-Type: application/json' -d '{"message":"hello sluice"}'
  curl -s 'http://127.0.0.1:$port/logs-*/_search?q=message:hello&pretty'
Ctrl-C stops it.
MSG
exec bash deploy/elasticsearch/run.sh --port "$port" --data "$data"
