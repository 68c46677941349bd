#!/usr/bin/env bash
# Produces the lines of stdin as records (Apache Kafka 3.9.1, kafka.tools.ConsoleProducer).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool kafka.tools.ConsoleProducer "$@"
