#!/usr/bin/env bash
# Builds the embedded OpenSearch launcher (see run.sh) with Maven and puts
# it, with every runtime dependency jar, into <repo>/.peers/opensearch/lib.
# Does nothing when pom.xml, the sources and this script are unchanged since
# the last build (their hash is kept in .peers/opensearch/stamp).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$repo/.peers/opensearch"

stamp=$(cd "$here" && find pom.xml build.sh src -type f -print0 | sort -z |
	xargs -0 sha256sum | sha256sum | cut -d' ' -f1)

if [[ -f "$out/stamp" && "$(cat "$out/stamp")" == "$stamp" && -f "$out/lib/sluice-os-peer.jar" ]]; then
	echo "opensearch peer: up to date in $out"
	exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$here" && mvn -q -B -Dstyle.color=never package) >"$log" 2>&1; then
	cat "$log" >&2
	echo "opensearch peer: maven build failed" >&2
	exit 1
fi

rm -rf "$out.tmp"
mkdir -p "$out.tmp/lib"
cp "$here/target/sluice-os-peer.jar" "$here"/target/lib/*.jar "$out.tmp/lib/"
echo "$stamp" >"$out.tmp/stamp"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "opensearch peer: built $(ls "$out/lib" | wc -l) jars into $out"
