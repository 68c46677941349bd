#!/usr/bin/env bash
# Generates, executes, verifies and cancels partition reassignments (Apache Kafka 3.9.1, org.apache.kafka.tools.reassign.ReassignPartitionsCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.reassign.ReassignPartitionsCommand "$@"
