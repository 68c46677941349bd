#!/usr/bin/env bash
# Elects partition leaders, preferred or unclean, through the controller (Apache Kafka 3.9.1, org.apache.kafka.tools.LeaderElectionCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool org.apache.kafka.tools.LeaderElectionCommand "$@"
