#!/usr/bin/env bash
# Builds the local test cluster's binaries (etcd, kube-apiserver,
# kube-controller-manager, kubectl) from Go modules and caches them outside
# the clone, keyed by version, so every clone on this machine reuses them.
#
# Usage: hack/build-cluster.sh [MINOR]
#   no argument: the current Kubernetes version, pinned in hack/kube
#   1.32 (or any MINOR with a hack/kube-MINOR module): that older version,
#   the one the compatibility suite runs against (make test builds both)
#
# Prints the bin directory as its last line. Cold: tens of minutes on 2 cores;
# warm: a few seconds (only checks the stamp).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kube_dir=$here/kube
if [ $# -gt 0 ]; then
  kube_dir=$here/kube-${1#v}
  if [ ! -f "$kube_dir/go.mod" ]; then
    echo "no pinned module for Kubernetes $1: want $kube_dir/go.mod (have: $(cd "$here" && ls -d kube kube-* | tr '\n' ' '))" >&2
    exit 2
  fi
fi
# The versions come from the pinned modules, so a pin is changed in one place.
kube_version=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" { print $3 }' "$kube_dir/go.mod")
etcd_version=$(awk '$1 == "require" && $2 == "go.etcd.io/etcd/server/v3" { print $3 }' "$here/etcd/go.mod")
if [ -z "$kube_version" ] || [ -z "$etcd_version" ]; then
  echo "cannot read the pinned versions from $kube_dir/go.mod and $here/etcd/go.mod" >&2
  exit 2
fi
cache=${CERTFORM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/certform}
bin=$cache/cluster-kube-$kube_version-etcd-$etcd_version/bin
# The stamp covers the pinned modules, so a changed go.mod or go.sum rebuilds.
stamp_want=$(cat "$kube_dir/go.mod" "$kube_dir/go.sum" "$here/etcd/go.mod" "$here/etcd/go.sum" | sha256sum | cut -c1-16)

cmds="kube-apiserver kube-controller-manager kubectl"
built() {
  for b in etcd $cmds; do [ -x "$bin/$b" ] || return 1; done
  [ -f "$bin/.stamp" ] && [ "$(cat "$bin/.stamp")" = "$stamp_want" ]
}
if built; then
  echo "$bin"
  exit 0
fi
# One build at a time: a second clone (or make test while make cluster-bin
# runs) waits for the first instead of deleting and overwriting its work.
mkdir -p "$(dirname "$bin")"
exec 9>"$bin.lock"
if ! flock -n 9; then
  echo "waiting for another hack/build-cluster.sh to finish building $bin" >&2
  flock 9
fi
if built; then
  echo "$bin"
  exit 0
fi
# A changed pin rebuilds everything; otherwise only what is missing.
if [ ! -f "$bin/.stamp" ] || [ "$(cat "$bin/.stamp")" != "$stamp_want" ]; then
  rm -f "$bin"/*
fi

mkdir -p "$bin"
start=$(date +%s)
export CGO_ENABLED=0 GOFLAGS=-mod=mod

if [ ! -x "$bin/etcd" ]; then
  echo "building etcd $etcd_version into $bin" >&2
  (cd "$here/etcd" && go build -trimpath -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.tmp" "$bin/etcd"
fi

minor=${kube_version#v1.}; minor=${minor%%.*}
ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$kube_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
for cmd in $cmds; do
  [ -x "$bin/$cmd" ] && continue
  echo "building $cmd $kube_version into $bin (cold: ~10-25 min on 2 cores)" >&2
  (cd "$kube_dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd")
  mv "$bin/$cmd.tmp" "$bin/$cmd"
done

echo "$stamp_want" > "$bin/.stamp"
echo "built in $(( $(date +%s) - start ))s" >&2
echo "$bin"
