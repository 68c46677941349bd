#!/usr/bin/env bash
# Describes and alters topic, broker, client and user configs, through ZooKeeper with --zookeeper (Apache Kafka 2.7.0, kafka.admin.ConfigCommand).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.admin.ConfigCommand "$@"
