#!/usr/bin/env bash
# Builds the embedded OpenSearch launcher (see run.sh) with Maven and puts
# it, with every runtime dependency jar, into <repo>/.peers/opensearch/lib.
# Does nothing when pom.xml, the sources and the build scripts are unchanged
# since the last build (their hash is kept in .peers/opensearch/stamp).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=../lib/javapeer.sh
source "$here/../lib/javapeer.sh"

javapeer_build opensearch "$here" "$repo/.peers/opensearch" sluice-os-peer.jar 17
