// Package testcluster runs a real, single-machine Kubernetes control plane
// on loopback for certform's tests and demo: etcd, kube-apiserver, and
// kube-controller-manager with only the CSR signing, approving and cleaning
// controllers. The binaries are built from Go modules by
// hack/build-cluster.sh; nothing is downloaded prebuilt.
//
// Start brings the components up one at a time, each once the previous one
// is healthy, and returns only when the signer has issued a certificate.
// It watches every process afterwards: an exit it did not ask for is
// recorded with the tail of the component's log, ends any wait for health
// at once, and fails the next test that asks for the cluster;
// kube-controller-manager, which gives up when the apiserver is slow at its
// start, is started again.
//
// The cluster's signer CA is deliberately not its client CA, as the
// Kubernetes task page warns they need not match. Start writes an admin
// kubeconfig, a kubeconfig for a restricted user (create/get/list/watch CSRs,
// no approve), and the signer's CA certificate into the cluster directory.
package testcluster
