#!/usr/bin/env bash
# Produces the lines of stdin as records (--broker-list) (Apache Kafka 2.7.0, kafka.tools.ConsoleProducer).
kafka_peer=kafka27
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
kafka_tool kafka.tools.ConsoleProducer "$@"
