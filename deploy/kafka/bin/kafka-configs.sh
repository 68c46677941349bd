#!/usr/bin/env bash
# Describes and alters topic, broker, client and user configs (Apache Kafka 3.9.1, kafka.admin.ConfigCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool kafka.admin.ConfigCommand "$@"
