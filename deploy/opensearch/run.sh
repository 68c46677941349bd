#!/usr/bin/env bash
# run.sh — start a real OpenSearch 2.19 node for tests, in the foreground: the
# reference ingest node of pipelines' conformance suite.
#
# Usage:
#   deploy/opensearch/run.sh --port PORT --data DIR [--transport-port P]
#
# The node is an embedded OpenSearch (org.opensearch:opensearch from Maven
# Central, the Netty4 HTTP/transport module, ingest-common, ingest-user-agent,
# lang-painless and lang-mustache-client as classpath plugins) started by a
# small Java launcher (src/main/java/dev/sluice/ospeer/Main.java). It listens
# for HTTP on 127.0.0.1:PORT and for transport on 127.0.0.1:P (an ephemeral
# port if not given), uses single-node discovery, keeps everything under DIR,
# has no security (plain HTTP, no credentials), and works when run as root.
#
# It is ready when `curl http://127.0.0.1:PORT/` answers 200. SIGTERM stops it
# cleanly. The heap is 512 MiB; set OPENSEARCH_JAVA_OPTS to override. Logs go
# to stdout.
#
# The launcher and its jars live in <repo>/.peers/opensearch/, built by
# build.sh, which this script runs first (it does nothing if already up to
# date) unless SLUICE_OS_NO_BUILD=1, as the Go tests set: tests never build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/javapeer.sh
source "$here/../lib/javapeer.sh"

if [[ "${SLUICE_OS_NO_BUILD:-}" != 1 ]]; then
	"$here/build.sh" >&2
fi

javapeer_exec "$repo/.peers/opensearch/lib" dev.sluice.ospeer.Main 17 "${OPENSEARCH_JAVA_OPTS:-}" -- "$@"
