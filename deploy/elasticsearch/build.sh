#!/usr/bin/env bash
# Builds the embedded Elasticsearch launcher (see run.sh) of one release line
# with Maven and puts it, with every runtime dependency jar, into
# <repo>/.peers/<peer>/lib:
#
#   deploy/elasticsearch/build.sh        7.17 (profile es7) -> .peers/elasticsearch
#   deploy/elasticsearch/build.sh 8.17   8.17 (profile es8) -> .peers/elasticsearch8
#   deploy/elasticsearch/build.sh 9.0    9.0 (profile es9, Java 21+) -> .peers/elasticsearch9
#
# Does nothing when pom.xml, the sources and the build scripts are unchanged
# since the last build (their hash is kept in .peers/<peer>/stamp).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/javapeer.sh
source "$here/../lib/javapeer.sh"
# shellcheck source=releases.sh
source "$here/releases.sh"

es_release "${1:-7.17}"
javapeer_build "$peer" "$here" "$repo/.peers/$peer" sluice-es-peer.jar "$min_java" -P "$profile"
