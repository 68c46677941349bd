#!/usr/bin/env bash
# Prints the records of a topic (Apache Kafka 2.7.0, kafka.tools.ConsoleConsumer).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.tools.ConsoleConsumer "$@"
