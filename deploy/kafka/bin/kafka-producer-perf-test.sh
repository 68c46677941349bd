#!/usr/bin/env bash
# Producer throughput/latency benchmark (Apache Kafka 3.9.1, org.apache.kafka.tools.ProducerPerformance).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.ProducerPerformance "$@"
