#!/usr/bin/env bash
# Runs one test command N times while B shell CPU burners load the machine,
# and prints how many runs passed: the check that cluster tests wait on
# health, not time. The burners end with the script (and after at most
# $SOAK_LIMIT seconds in any case).
#
#   hack/soak.sh N B go test -race -count=1 ./internal/testcluster
#
# Logs of failed runs are kept in ${SOAK_DIR:-/tmp/certform-soak}.
set -euo pipefail

runs=$1 burners=$2
shift 2
limit=${SOAK_LIMIT:-3600}
logs=${SOAK_DIR:-/tmp/certform-soak}
mkdir -p "$logs"

pids=()
stop() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT
for _ in $(seq "$burners"); do
  timeout "$limit" sh -c 'while :; do :; done' &
  pids+=($!)
done

pass=0
for i in $(seq "$runs"); do
  start=$(date +%s)
  if "$@" >"$logs/run-$i.log" 2>&1; then
    pass=$((pass + 1)); verdict=pass
    rm -f "$logs/run-$i.log"
  else
    verdict="FAIL (log: $logs/run-$i.log)"
  fi
  echo "run $i/$runs: $verdict in $(( $(date +%s) - start ))s, load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "passed $pass of $runs with $burners burners: $*"
[ "$pass" = "$runs" ]
