#!/usr/bin/env bash
# make demo: the seed's workflow, done by certform on a real local cluster.
# Starts the cluster (left running: make cluster-down stops it), copies
# examples/quickstart to .demo/, plans, submits, approves with kubectl as a
# cluster admin would, collects the certificate and shows it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

bin=$(./hack/build-cluster.sh)
export PATH="$root/bin:$bin:$PATH" # certform, and kubectl built beside the cluster

step "starting the local cluster (etcd, kube-apiserver, kube-controller-manager)"
KUBECONFIG=$(go run ./internal/testcluster/clusterctl up --bin "$bin" --dir "$root/.cluster" | tail -n 1)
export KUBECONFIG

work=.demo/quickstart
rm -rf "$work" && mkdir -p .demo && cp -r examples/quickstart "$work"

step "certform plan --chdir $work"
certform plan --chdir "$work"

step "certform apply --auto-approve --no-wait   (submit the CSR, do not wait)"
certform apply --chdir "$work" --auto-approve --no-wait

step "kubectl get csr"
kubectl get csr

name=$(kubectl get csr -l app.kubernetes.io/managed-by=certform -o jsonpath='{.items[0].metadata.name}')
step "kubectl certificate approve $name   (the cluster admin's decision)"
kubectl certificate approve "$name"

step "certform apply --auto-approve   (collect, verify and write the certificate)"
certform apply --chdir "$work" --auto-approve

step "ls -l $work/out"
ls -l "$work/out"

step "openssl x509 -noout -text -in $work/out/server.crt"
if command -v openssl >/dev/null; then
  openssl x509 -noout -text -in "$work/out/server.crt"
else
  echo "(openssl is not installed; apt-get install openssl to see the certificate)"
fi

step "certform plan --detailed-exitcode   (0: nothing left to do)"
certform plan --chdir "$work" --detailed-exitcode && echo "exit code 0"

cat <<MSG

The cluster is still running. To explore:
  export KUBECONFIG=$KUBECONFIG PATH=$root/bin:$bin:\$PATH
  certform plan --chdir $work
Stop it with: make cluster-down
MSG
