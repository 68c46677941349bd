#!/usr/bin/env bash
# run.sh — start a real Elasticsearch 7.17 node for tests, in the foreground.
#
# Usage:
#   deploy/elasticsearch/run.sh --port PORT --data DIR [--transport-port P]
#
# The node is an embedded Elasticsearch (org.elasticsearch:elasticsearch from
# Maven Central plus the Netty4 HTTP/transport module) started by a small Java
# launcher (src/main/java/dev/sluice/espeer/Main.java). It listens for HTTP on
# 127.0.0.1:PORT and for transport on 127.0.0.1:P (an ephemeral port if not
# given), uses single-node discovery, keeps everything under DIR, has no
# security (plain HTTP, no credentials), and works when run as root.
#
# It is ready when `curl http://127.0.0.1:PORT/` answers 200. SIGTERM stops it
# cleanly. The heap is 512 MiB; set ES_JAVA_OPTS to override (e.g.
# ES_JAVA_OPTS="-Xms1g -Xmx1g"). Logs go to stdout.
#
# The launcher and its jars live in <repo>/.peers/elasticsearch/, built by
# build.sh, which this script runs first (it does nothing if already up to
# date) unless SLUICE_ES_NO_BUILD=1, as the Go tests set: tests never build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
lib="$repo/.peers/elasticsearch/lib"

if [[ "${SLUICE_ES_NO_BUILD:-}" != 1 ]]; then
	"$here/build.sh" >&2
fi

# shellcheck disable=SC2086 # ES_JAVA_OPTS is a list of options
exec java \
	-Xms512m -Xmx512m \
	-XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
	-Dfile.encoding=UTF-8 \
	-Djava.awt.headless=true \
	-Dlog4j.shutdownHookEnabled=false \
	-Dlog4j2.disable.jmx=true \
	-Dlog4j2.formatMsgNoLookups=true \
	-Dio.netty.noUnsafe=true \
	-Dio.netty.noKeySetOptimization=true \
	-Dio.netty.recycler.maxCapacityPerThread=0 \
	-Dio.netty.allocator.numDirectArenas=0 \
	-Des.networkaddress.cache.ttl=60 \
	${ES_JAVA_OPTS:-} \
	-cp "$lib/*" dev.sluice.espeer.Main "$@"
