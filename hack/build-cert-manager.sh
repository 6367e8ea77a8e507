#!/usr/bin/env bash
# Builds cert-manager's CA signer for Kubernetes CSRs (hack/cert-manager, a
# small command over cert-manager's public packages) for the tests against a
# third-party signer, and caches it outside the clone, keyed by version, so
# every clone on this machine reuses it. Beside the binary it copies the
# CustomResourceDefinitions that command needs (Issuer, ClusterIssuer) from
# the cert-manager module, which the command applies with --crds.
#
# Prints the path of the binary as its last line; its CRDs are in
# ../crds next to the bin directory. Cold: several minutes on 2 cores;
# warm: a few seconds (only checks the stamp).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mod=$here/cert-manager
cm_version=$(awk '$1 == "github.com/cert-manager/cert-manager" { print $2; exit }' "$mod/go.mod")
[ -n "$cm_version" ] || { echo "build-cert-manager: no cert-manager version pinned in $mod/go.mod" >&2; exit 1; }
cache=${CERTFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certform}
top=$cache/cert-manager-$cm_version
bin=$top/bin
crds=$top/crds
# The stamp covers the pinned modules and our own sources, so a changed
# go.mod, go.sum or main rebuilds.
stamp_want=$(cat "$mod"/go.mod "$mod"/go.sum "$mod"/*.go | sha256sum | cut -c1-16)

built() {
  [ -x "$bin/cert-manager-signer" ] && [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp_want" ]
}
if built; then
  echo "$bin/cert-manager-signer"
  exit 0
fi
# One build at a time: a second clone (or make test while another build
# runs) waits for the first instead of overwriting its work.
mkdir -p "$bin"
exec 9>"$bin.lock"
if ! flock -n 9; then
  echo "waiting for another hack/build-cert-manager.sh to finish building $bin" >&2
  flock 9
fi
if built; then
  echo "$bin/cert-manager-signer"
  exit 0
fi
rm -f "$bin/cert-manager-signer" "$bin/.stamp"

start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=mod
echo "building cert-manager $cm_version's CSR signer into $bin (cold: several minutes on 2 cores)" >&2
src=$(cd "$mod" && go mod download -json "github.com/cert-manager/cert-manager@$cm_version" | awk -F'"' '$2 == "Dir" { print $4 }')
[ -d "$src/deploy/crds" ] || { echo "build-cert-manager: no deploy/crds in the cert-manager module ($src)" >&2; exit 1; }
rm -rf "$crds.tmp"
mkdir -p "$crds.tmp"
cp "$src/deploy/crds/cert-manager.io_issuers.yaml" "$src/deploy/crds/cert-manager.io_clusterissuers.yaml" "$crds.tmp/"
chmod 0644 "$crds.tmp"/*.yaml
rm -rf "$crds"
mv "$crds.tmp" "$crds"
(cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$bin/cert-manager-signer.tmp" .)
mv "$bin/cert-manager-signer.tmp" "$bin/cert-manager-signer"
echo "$stamp_want" > "$bin/.stamp"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$bin/cert-manager-signer"
