#!/usr/bin/env bash
# Adds, lists and removes ACLs, in ZooKeeper with --authorizer-properties zookeeper.connect=... or through a broker with --bootstrap-server (Apache Kafka 2.7.0, kafka.admin.AclCommand).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.admin.AclCommand "$@"
