#!/usr/bin/env bash
# Provisions the real programs sluice's tests and benchmarks are checked
# against (`make peers`). Idempotent, and fast when everything is there:
#   - Debian packages: zookeeper (server + zkCli.sh), kcat, rsyslog, rsyslog-kafka, logrotate,
#     and a JDK with Maven if missing (apt-get, as root or through sudo);
#   - Elasticsearch 7.17, 8.17 and 9.0 (9.0 needs a JDK 21+, found on PATH
#     or under /usr/lib/jvm: Debian 12 packages none, this machine kind has
#     Temurin 25 there; `make peers` fails naming it if none), OpenSearch
#     2.19 with its ingest modules (the pipelines' reference ingest node),
#     Apache Kafka 3.9 and Apache Kafka 2.7's tools (the ones that manage
#     topics through ZooKeeper) from Maven Central, built into the git-ignored
#     .peers/ by deploy/elasticsearch/build.sh (`build.sh 8.17`, `build.sh
#     9.0`), deploy/opensearch/build.sh and deploy/kafka/build.sh (2.7:
#     `build.sh 2.7`).
# It fails loudly when something cannot be provisioned.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "peers: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "peers: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/sluice-apt.log 2>&1; then
    $sudo apt-get update -q >/tmp/sluice-apt.log 2>&1 || true
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >>/tmp/sluice-apt.log 2>&1 \
      || { tail -20 /tmp/sluice-apt.log >&2; echo "peers: apt-get install ${missing[*]} failed" >&2; exit 1; }
  fi
}

command -v java >/dev/null || apt_install openjdk-17-jdk-headless
command -v mvn >/dev/null || apt_install maven
apt_install zookeeper kcat rsyslog rsyslog-kafka bsdutils logrotate systemd-journal-remote

bash deploy/elasticsearch/build.sh
bash deploy/elasticsearch/build.sh 8.17
bash deploy/elasticsearch/build.sh 9.0
bash deploy/opensearch/build.sh
bash deploy/kafka/build.sh
bash deploy/kafka/build.sh 2.7
echo "peers: ready (zookeeper, zkCli, kcat, rsyslog, elasticsearch 7.17 8.17 9.0, opensearch, kafka, kafka 2.7 tools)"
