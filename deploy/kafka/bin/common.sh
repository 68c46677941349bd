# Sourced by the wrappers in deploy/kafka/bin (and bin/2.7) and by
# deploy/kafka/run.sh: where the Kafka jars are (<repo>/.peers/kafka/libs for
# 3.9.1, made by deploy/kafka/build.sh; .peers/kafka27/libs for 2.7.0, by
# `build.sh 2.7`, when the sourcing script sets kafka_peer=kafka27) and how to
# run one of their main classes.
#
# Environment:
#   KAFKA_HEAP_OPTS  heap flags (tools default: -Xmx512m)
#   KAFKA_OPTS       extra JVM flags

kafka_deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kafka_repo="$(cd "$kafka_deploy/../.." && pwd)"
kafka_peer="${kafka_peer:-kafka}"
kafka_libs="$kafka_repo/.peers/$kafka_peer/libs"

# kafka_check_libs fails unless build.sh has provisioned the jars.
kafka_check_libs() {
  if ! compgen -G "$kafka_libs/kafka_2.13-*.jar" >/dev/null; then
    local release=""
    [ "$kafka_peer" = kafka27 ] && release=" 2.7"
    echo "kafka: no jars in $kafka_libs; run deploy/kafka/build.sh$release (or \`make peers\`)" >&2
    return 1
  fi
}

# kafka_tool MAINCLASS ARGS... replaces the shell with a CLI tool whose log
# output (WARN and above) goes to stderr.
kafka_tool() {
  kafka_check_libs || exit 1
  local main="$1"
  shift
  # shellcheck disable=SC2086 # the *_OPTS variables hold several flags
  exec java ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$kafka_deploy/tools-log4j.properties" \
    ${KAFKA_OPTS:-} -cp "$kafka_libs/*" "$main" "$@"
}
