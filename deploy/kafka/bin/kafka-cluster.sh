#!/usr/bin/env bash
# Shows the cluster id, unregisters brokers (Apache Kafka 3.9.1, org.apache.kafka.tools.ClusterTool).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.ClusterTool "$@"
