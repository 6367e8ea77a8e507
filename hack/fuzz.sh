#!/usr/bin/env bash
# Runs every fuzz target for a while (default 60s each) and keeps what the
# fuzzer finds interesting in each package's testdata/fuzz, as go test does.
# Minimizing a new input may take at most a tenth of a minute: at go's
# default of 60s, a target of a few milliseconds an input (one that writes
# a file, or loads a configuration) spent a whole minute's run minimizing
# its first find.
# Usage: hack/fuzz.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-60s}
for target in ./config:FuzzLoad ./config:FuzzVarFile ./state/statefile:FuzzDecode ./plan:FuzzDecodeFile ./internal/pki:FuzzParsePEM \
  ./internal/addrs:FuzzParse ./approver:FuzzGlob ./approver:FuzzApprovedMeansAllowed ./approver:FuzzLoadPolicy ./internal/formats:FuzzOpens \
  ./cmd/certform:FuzzConvertCfssl ./cmd/certform:FuzzShellQuote ./state/backend/local:FuzzJournal ./state/statefile:FuzzDecodeFast ./internal/pki:FuzzClassifyHost; do
  pkg=${target%%:*} name=${target##*:}
  echo "==> $name in $pkg for $t"
  go test "$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$t" -fuzzminimizetime 6s
done
