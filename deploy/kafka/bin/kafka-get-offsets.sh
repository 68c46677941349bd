#!/usr/bin/env bash
# Lists partitions' offsets (earliest, latest, max timestamp, or by time) (Apache Kafka 3.9.1, org.apache.kafka.tools.GetOffsetShell).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.GetOffsetShell "$@"
