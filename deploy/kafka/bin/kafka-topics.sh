#!/usr/bin/env bash
# Creates, lists, describes, alters and deletes topics (Apache Kafka 3.9.1, org.apache.kafka.tools.TopicCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.TopicCommand "$@"
