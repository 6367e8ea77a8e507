package state

import "fmt"

// Cluster is the identity of the cluster a record's objects live in (its
// CSRs, Secret, ConfigMaps), so that a kubeconfig context re-pointed at
// another cluster is refused instead of looking like drift.
type Cluster struct {
	// Name is the configuration's name for the cluster (kubernetes.NAME),
	// "default" for the unnamed kubernetes block.
	Name string
	// UID is the UID of the cluster's kube-system namespace, which is set
	// when the cluster is created and never changes: the identity. ""
	// means not known yet (a state from before fleets); the next apply
	// records it.
	UID string
	// Server is the API server URL as last reached, for messages only: a
	// cluster behind a new address is still the same cluster.
	Server string
}

// Bound reports whether c records an identity.
func (c Cluster) Bound() bool { return c.UID != "" }

// String names the cluster for a message: its name, API server and UID.
func (c Cluster) String() string {
	s := fmt.Sprintf("cluster %q", c.Name)
	if c.Server != "" {
		s += " at " + c.Server
	}
	if c.UID != "" {
		s += " (kube-system UID " + c.UID + ")"
	}
	return s
}

// ClusterName is the cluster name a record belongs to: the recorded one,
// or the default for a record from before fleets.
func (c Cluster) ClusterName() string {
	if c.Name == "" {
		return DefaultCluster
	}
	return c.Name
}

// DefaultCluster is the name of the cluster of the unnamed kubernetes
// block (config.DefaultCluster; state does not import config).
const DefaultCluster = "default"
