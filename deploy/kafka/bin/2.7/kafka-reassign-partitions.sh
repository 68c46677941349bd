#!/usr/bin/env bash
# Generates, executes and verifies partition reassignments, through ZooKeeper with --zookeeper (Apache Kafka 2.7.0, kafka.admin.ReassignPartitionsCommand).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.admin.ReassignPartitionsCommand "$@"
