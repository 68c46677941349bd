#!/usr/bin/env bash
# Runs a real Apache ZooKeeper 3.8 server (Debian package `zookeeper`) in the
# foreground, for tests and benchmarks that check sluice's coordinator against
# the system it imitates.
#
#   deploy/zookeeper/run.sh --port PORT --data DIR [--id N --servers "1=127.0.0.1:P:E,2=…"] [--extra FILE]
#
# --extra appends FILE's lines to zoo.cfg (e.g. secureClientPort and ssl.* keys).
# It writes DIR/zoo.cfg (and DIR/myid for an ensemble member) and runs
# org.apache.zookeeper.server.quorum.QuorumPeerMain with it. Logs go to stdout.
# Ready when `ruok` on PORT answers `imok`.
set -euo pipefail

port="" data="" id="" servers="" extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --data) data="$2"; shift 2 ;;
    --id) id="$2"; shift 2 ;;
    --servers) servers="$2"; shift 2 ;;
    --extra) extra="$2"; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$port" ] && [ -n "$data" ] || { echo "usage: run.sh --port PORT --data DIR [--id N --servers 1=host:p:e,…]" >&2; exit 2; }

jar=/usr/share/java/zookeeper.jar
[ -f "$jar" ] || { echo "run.sh: $jar not found; run \`make peers\` (Debian package zookeeper)" >&2; exit 1; }

mkdir -p "$data"
data="$(cd "$data" && pwd)"
{
  echo "tickTime=2000"
  echo "initLimit=10"
  echo "syncLimit=5"
  echo "dataDir=$data"
  echo "clientPort=$port"
  echo "clientPortAddress=127.0.0.1"
  echo "maxClientCnxns=0"
  echo "admin.enableServer=false"
  echo "4lw.commands.whitelist=*"
  if [ -n "$servers" ]; then
    IFS=, read -ra members <<<"$servers"
    for m in "${members[@]}"; do echo "server.${m%%=*}=${m#*=}"; done
  fi
  if [ -n "$extra" ]; then cat "$extra"; fi
} >"$data/zoo.cfg"
if [ -n "$id" ]; then echo "$id" >"$data/myid"; fi

cat >"$data/log4j.properties" <<'LOG'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] %-5p %c{1}: %m%n
LOG

# netty-codec and netty-resolver: the Netty server (secureClientPort) needs
# them and the jar's manifest does not name them.
cp="$jar:/usr/share/java/slf4j-log4j12.jar:/usr/share/java/log4j-1.2.jar:/usr/share/java/netty-codec.jar:/usr/share/java/netty-resolver.jar"
exec java ${ZK_JAVA_OPTS:--Xms256m -Xmx256m} \
  -Dlog4j.configuration="file:$data/log4j.properties" \
  -Dzookeeper.admin.enableServer=false \
  -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$data/zoo.cfg"
