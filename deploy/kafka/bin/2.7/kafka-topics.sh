#!/usr/bin/env bash
# Creates, lists, describes, alters and deletes topics, through ZooKeeper with --zookeeper (Apache Kafka 2.7.0, kafka.admin.TopicCommand).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.admin.TopicCommand "$@"
