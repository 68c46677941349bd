#!/usr/bin/env bash
# Provisions the Apache Kafka 3.9.1 test peer: copies the runtime jars named by
# deploy/kafka/pom.xml (from Maven Central) into <repo>/.peers/kafka/libs/.
# Idempotent: does nothing when the stamp (sha256 of pom.xml) is current.
#
#   deploy/kafka/build.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
peer="$root/.peers/kafka"
libs="$peer/libs"
stamp="$peer/libs.stamp"

want="$(sha256sum "$here/pom.xml" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  echo "kafka peer: up to date ($(ls "$libs" | wc -l) jars in .peers/kafka/libs)"
  exit 0
fi

command -v mvn >/dev/null || { echo "build.sh: mvn not found (install maven)" >&2; exit 1; }
mkdir -p "$peer"
tmp="$(mktemp -d "$peer/libs.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Maven's own output (and the terminal escapes it writes even with -q) goes to
# a log that is shown only when it fails.
if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp/libs" -DoverWriteReleases=true >"$tmp/mvn.log" 2>&1; then
  cat "$tmp/mvn.log" >&2
  echo "build.sh: mvn dependency:copy-dependencies failed" >&2
  exit 1
fi
rm -rf "$libs"
mv "$tmp/libs" "$libs"
echo "$want" >"$stamp"
echo "kafka peer: copied $(ls "$libs" | wc -l) jars into .peers/kafka/libs"
