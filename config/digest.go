package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/certform/certform/internal/pki"
)

// Digest is a SHA-256 of what the evaluated configuration asks for, so a
// saved plan can tell whether the configuration changed since. It ignores
// layout (whitespace, comments, file names) and covers variable values,
// since they are already substituted.
func Digest(cfg *Config) string {
	type cert struct {
		Addr                  string
		Request               pki.Request
		Key                   KeySpec
		SignerName            string
		Usages                []string
		ExpirationSeconds     int32
		SelfApprove           bool
		RenewBefore           time.Duration
		RenewBeforePercentage int
		CSRName               string
		Output                Output
		Secret                *SecretOutput
		OnChange              OnChange
		PasswordSecret        *SecretKeyRef // never the password itself
		RenewJitter           int           `json:",omitempty"`
		Cluster               string        `json:",omitempty"` // "" for the default cluster
	}
	type source struct {
		Kind, Path, Namespace, Name, Key, SignerName string
		Fingerprints                                 []string
		Cluster                                      string `json:",omitempty"`
	}
	type bundle struct {
		Addr    string
		Sources []source
		Targets []*BundleTarget
		Cluster string `json:",omitempty"`
	}
	type cluster struct {
		Name, Kubeconfig, Context string
		InCluster                 bool
	}
	type refactor struct {
		Block, From, To, KeyFile, CertFile string
		Destroy                            bool
		Secret                             *SecretOutput
	}
	var v struct {
		Certificates []cert
		CABundles    []bundle
		Refactors    []refactor `json:",omitempty"`
		Clusters     []cluster  `json:",omitempty"` // the named ones
	}
	for _, name := range cfg.ClusterNames()[1:] {
		k := cfg.Clusters[name]
		v.Clusters = append(v.Clusters, cluster{k.Name, k.Kubeconfig, k.Context, k.InCluster})
	}
	nonDefault := func(name string) string {
		if name == DefaultCluster {
			return ""
		}
		return name
	}
	for _, m := range cfg.Moved {
		v.Refactors = append(v.Refactors, refactor{Block: "moved", From: m.From.Addr, To: m.To.Addr})
	}
	for _, r := range cfg.Removed {
		v.Refactors = append(v.Refactors, refactor{Block: "removed", From: r.From.Addr, Destroy: r.Destroy})
	}
	for _, i := range cfg.Imports {
		v.Refactors = append(v.Refactors, refactor{Block: "import", To: i.To.Addr, KeyFile: i.KeyFile, CertFile: i.CertFile, Secret: i.Secret})
	}
	for _, c := range cfg.Certificates {
		v.Certificates = append(v.Certificates, cert{c.Addr, c.Request, c.Key, c.SignerName, c.Usages, c.ExpirationSeconds,
			c.SelfApprove, c.RenewBefore, c.RenewBeforePercentage, c.CSRName, c.Output, c.Secret, c.OnChange, nil, c.RenewJitter, nonDefault(c.Cluster)})
		if k := c.Keystore; k != nil {
			v.Certificates[len(v.Certificates)-1].PasswordSecret = k.PasswordSecret
		}
	}
	for _, b := range cfg.CABundles {
		out := bundle{Addr: b.Addr, Targets: b.Targets, Cluster: nonDefault(b.Cluster)}
		for _, s := range b.Sources {
			src := source{Kind: s.Kind, Path: s.Path, Namespace: s.Namespace, Name: s.Name, Key: s.Key, SignerName: s.SignerName, Cluster: nonDefault(s.Cluster)}
			for _, c := range s.Certificates {
				src.Fingerprints = append(src.Fingerprints, Fingerprint(c))
			}
			out.Sources = append(out.Sources, src)
		}
		v.CABundles = append(v.CABundles, out)
	}
	data, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain data always marshals
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
