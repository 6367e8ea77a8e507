#!/usr/bin/env bash
# Builds Open Policy Agent (the `opa` command) from Go modules for the
# policy-as-code test over `certform plan --json`, and caches it outside the
# clone, keyed by version, so every clone on this machine reuses it.
#
# Prints the path of the opa binary as its last line. Cold: several minutes
# on 2 cores; warm: a few seconds (only checks the stamp).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
opa_version=$(awk '$1 == "require" && $2 == "github.com/open-policy-agent/opa" { print $3 }' "$here/opa/go.mod")
[ -n "$opa_version" ] || { echo "build-opa: no opa version pinned in $here/opa/go.mod" >&2; exit 1; }
cache=${CERTFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certform}
bin=$cache/opa-$opa_version/bin
# The stamp covers the pinned modules, so a changed go.mod or go.sum rebuilds.
stamp_want=$(cat "$here/opa/go.mod" "$here/opa/go.sum" | sha256sum | cut -c1-16)

built() {
  [ -x "$bin/opa" ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp_want" ]
}
if built; then
  echo "$bin/opa"
  exit 0
fi
# One build at a time: a second clone (or make test while make opa-bin runs)
# waits for the first instead of overwriting its work.
mkdir -p "$bin"
exec 9>"$bin.lock"
if ! flock -n 9; then
  echo "waiting for another hack/build-opa.sh to finish building $bin" >&2
  flock 9
fi
if built; then
  echo "$bin/opa"
  exit 0
fi
rm -f "$bin/opa" "$bin/.stamp"

start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=mod
echo "building opa $opa_version into $bin (cold: several minutes on 2 cores)" >&2
(cd "$here/opa" && go build -trimpath \
  -ldflags "-s -w -X github.com/open-policy-agent/opa/v1/version.Version=${opa_version#v}" \
  -o "$bin/opa.tmp" github.com/open-policy-agent/opa)
mv "$bin/opa.tmp" "$bin/opa"
echo "$stamp_want" > "$bin/.stamp"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$bin/opa"
