#!/usr/bin/env bash
# Provisions an Apache Kafka test peer: copies the runtime jars named by a
# pom (from Maven Central) into <repo>/.peers/<peer>/libs/:
#
#   deploy/kafka/build.sh        Kafka 3.9.1, broker and tools: pom.xml -> .peers/kafka
#   deploy/kafka/build.sh 2.7    Kafka 2.7.0 tools (topics through ZooKeeper):
#                                pom-2.7.xml -> .peers/kafka27
#
# Idempotent: does nothing when the stamp (sha256 of the pom) is current.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
case "${1:-}" in
  "") pom="$here/pom.xml" name=kafka ;;
  2.7) pom="$here/pom-2.7.xml" name=kafka27 ;;
  *) echo "build.sh: unknown release $1 (want none for 3.9, or 2.7)" >&2; exit 2 ;;
esac
peer="$root/.peers/$name"
libs="$peer/libs"
stamp="$peer/libs.stamp"

want="$(sha256sum "$pom" | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && compgen -G "$libs/kafka_2.13-*.jar" >/dev/null; then
  echo "$name peer: up to date ($(ls "$libs" | wc -l) jars in .peers/$name/libs)"
  exit 0
fi

command -v mvn >/dev/null || { echo "build.sh: mvn not found (install maven)" >&2; exit 1; }
mkdir -p "$peer"
tmp="$(mktemp -d "$peer/libs.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# Maven's own output (and the terminal escapes it writes even with -q) goes to
# a log that is shown only when it fails.
if ! mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$tmp/libs" -DoverWriteReleases=true >"$tmp/mvn.log" 2>&1; then
  cat "$tmp/mvn.log" >&2
  echo "build.sh: mvn dependency:copy-dependencies failed" >&2
  exit 1
fi
rm -rf "$libs"
mv "$tmp/libs" "$libs"
echo "$want" >"$stamp"
echo "$name peer: copied $(ls "$libs" | wc -l) jars into .peers/$name/libs"
