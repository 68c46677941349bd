#!/usr/bin/env bash
# Describes the brokers' log directories and their partitions' sizes (Apache Kafka 3.9.1, org.apache.kafka.tools.LogDirsCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.LogDirsCommand "$@"
