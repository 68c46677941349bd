#!/usr/bin/env bash
# Prints, after `make test`, one line per test peer: used (by which tests), or
# NOT USED. Exits 1 if a peer was not used: every peer is provisioned by
# `make peers`, so a peer no test started is a failure, never a skip.
#   scripts/peer-summary.sh REPORT_FILE
set -uo pipefail
report="$1"
peers="elasticsearch elasticsearch8 elasticsearch9 opensearch zookeeper zkCli kafka kafka27 kcat rsyslog"
status=0
echo "== test peers =="
for p in $peers; do
  tests=$(awk -F'\t' -v p="$p" '$1==p && $2=="used" {print $3}' "$report" 2>/dev/null | sort -u)
  if [ -n "$tests" ]; then
    n=$(echo "$tests" | wc -l)
    detail=$(awk -F'\t' -v p="$p" '$1==p && $2=="used" {print $4; exit}' "$report")
    printf '  %-14s used by %d test(s) (%s): %s\n' "$p" "$n" "$detail" "$(echo $tests | cut -c1-120)"
  else
    printf '  %-14s NOT USED: no test started it (see the test output above)\n' "$p"
    status=1
  fi
done
skipped=$(awk -F'\t' '$2=="skipped" {printf "  %s: %s\n", $3, $4}' "$report" 2>/dev/null)
if [ -n "$skipped" ]; then
  echo "== skipped tests =="
  echo "$skipped"
fi
exit $status
