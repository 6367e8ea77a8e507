#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60s each) and keeps what the
# fuzzer finds interesting in each package's testdata/fuzz, as go test does.
# Usage: hack/fuzz.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-60s}
for target in ./config:FuzzLoad ./state/statefile:FuzzDecode ./plan:FuzzDecodeFile ./internal/pki:FuzzParsePEM ./approver:FuzzGlob ./approver:FuzzApprovedMeansAllowed ./internal/formats:FuzzOpens; do
  pkg=${target%%:*} name=${target##*:}
  echo "==> $name in $pkg for $t"
  go test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$t"
done
