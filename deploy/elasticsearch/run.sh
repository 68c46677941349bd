#!/usr/bin/env bash
# run.sh — start a real Elasticsearch node for tests, in the foreground.
#
# Usage:
#   deploy/elasticsearch/run.sh [7.17|8.17|9.0] --port PORT --data DIR [--transport-port P]
#
# The release line defaults to 7.17. The node is an embedded Elasticsearch
# (org.elasticsearch:elasticsearch from Maven Central plus the Netty4
# HTTP/transport module) started by a small Java launcher
# (src/main/java/dev/sluice/espeer/Main.java). It listens for HTTP on
# 127.0.0.1:PORT and for transport on 127.0.0.1:P (an ephemeral port if not
# given), uses single-node discovery, keeps everything under DIR, has no
# security (plain HTTP, no credentials: x-pack is not on the class path), and
# works when run as root.
#
# 7.17 and 8.17 run on the java on PATH if it is Java 17 or newer, 9.0 needs
# Java 21 or newer: the java on PATH if it is, else the newest JDK under
# /usr/lib/jvm; it fails naming what it needs if there is none.
#
# 9.0 runs without native access: its libzstd.so and libvec.so come with the
# distribution, not from Maven Central, so an index with
# "index.codec": "best_compression" (zstd) fails to write on it; 8.17 finds
# the system's libzstd through JNA, and 7.17 does not use zstd.
#
# It is ready when `curl http://127.0.0.1:PORT/` answers 200. SIGTERM stops it
# cleanly. The heap is 512 MiB; set ES_JAVA_OPTS to override (e.g.
# ES_JAVA_OPTS="-Xms1g -Xmx1g"). Logs go to stdout.
#
# The launcher and its jars live in <repo>/.peers/<peer>/ (elasticsearch,
# elasticsearch8, elasticsearch9), built by build.sh, which this script runs
# first (it does nothing if already up to date) unless SLUICE_ES_NO_BUILD=1,
# as the Go tests set: tests never build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/javapeer.sh
source "$here/../lib/javapeer.sh"
# shellcheck source=releases.sh
source "$here/releases.sh"

line=7.17
if [[ $# -gt 0 && "$1" != --* ]]; then
	line=$1
	shift
fi
es_release "$line"

if [[ "${SLUICE_ES_NO_BUILD:-}" != 1 ]]; then
	"$here/build.sh" "$line" >&2
fi

javapeer_exec "$repo/.peers/$peer/lib" dev.sluice.espeer.Main "$min_java" "${ES_JAVA_OPTS:-}" -- "$@"
