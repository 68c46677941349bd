#!/usr/bin/env bash
# Lists, describes and resets consumer groups (Apache Kafka 3.9.1, org.apache.kafka.tools.consumer.group.ConsumerGroupCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@"
