#!/usr/bin/env bash
# Lists the API versions each broker supports (Apache Kafka 3.9.1, kafka.admin.BrokerApiVersionsCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool kafka.admin.BrokerApiVersionsCommand "$@"
