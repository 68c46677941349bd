#!/usr/bin/env bash
# Adds, lists and removes ACLs through a broker with --bootstrap-server (Apache Kafka 3.9.1, kafka.admin.AclCommand).
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
kafka_tool kafka.admin.AclCommand "$@"
