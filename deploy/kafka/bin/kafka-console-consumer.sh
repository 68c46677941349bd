#!/usr/bin/env bash
# Prints consumed records to stdout (Apache Kafka 3.9.1, org.apache.kafka.tools.consumer.ConsoleConsumer).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer "$@"
