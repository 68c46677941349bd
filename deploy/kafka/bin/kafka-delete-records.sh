#!/usr/bin/env bash
# Deletes the records of partitions below given offsets (Apache Kafka 3.9.1, org.apache.kafka.tools.DeleteRecordsCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.DeleteRecordsCommand "$@"
