#!/usr/bin/env bash
# Asks the controller to move each partition's leadership to its preferred replica, through ZooKeeper with --zookeeper (Apache Kafka 2.7.0, kafka.admin.PreferredReplicaLeaderElectionCommand).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.admin.PreferredReplicaLeaderElectionCommand "$@"
