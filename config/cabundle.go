package config

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
)

// CABundle is one instance of a ca_bundle block: trust anchors gathered
// from sources and published to ConfigMaps.
type CABundle struct {
	Addr    string
	Name    string
	Sources []CASource
	Targets []*BundleTarget // configmap and secret blocks
	// Cluster is where the bundle is published: DefaultCluster unless
	// cluster = kubernetes.NAME.
	Cluster   string
	DeclRange hcl.Range
}

// CA source kinds.
const (
	SourceFile               = "file"
	SourcePEM                = "pem"
	SourceConfigMap          = "configmap"
	SourceSecret             = "secret"
	SourceClusterTrustBundle = "cluster_trust_bundle"
)

// CASource is one source block. File and PEM sources are read and parsed
// when the configuration loads; the others are read from the cluster.
type CASource struct {
	Kind         string
	Certificates []*x509.Certificate // file and pem
	Path         string              // file
	Namespace    string              // configmap, secret
	Name         string              // configmap, secret
	Key          string              // configmap, secret
	SignerName   string              // cluster_trust_bundle
	// Cluster is where a configmap, secret or cluster_trust_bundle source
	// is read: the bundle's own cluster unless the source says
	// cluster = kubernetes.NAME.
	Cluster string
	Range   hcl.Range
}

// Bundle target kinds.
const (
	TargetConfigMap = "configmap"
	TargetSecret    = "secret"
)

// BundleTarget is where a bundle is published: a ConfigMap or a Secret of
// one name in each of some namespaces.
type BundleTarget struct {
	Kind              string // TargetConfigMap or TargetSecret
	Namespaces        []string
	NamespaceSelector string
	Name              string
	Key               string
	// Adopt lets certform take over existing objects of this name that it
	// did not create (never deleted later, only released).
	Adopt bool
}

type rawCABundle struct {
	Cluster   hcl.Expression `hcl:"cluster,optional"`
	Sources   []*rawSource   `hcl:"source,block"`
	ConfigMap *rawTarget     `hcl:"configmap,block"`
	Secret    *rawTarget     `hcl:"secret,block"`
}

type rawSource struct {
	File      *string        `hcl:"file,optional"`
	PEM       *string        `hcl:"pem,optional"`
	ConfigMap *rawObjRef     `hcl:"configmap,block"`
	Secret    *rawObjRef     `hcl:"secret,block"`
	CTB       *rawCTBRef     `hcl:"cluster_trust_bundle,block"`
	Cluster   hcl.Expression `hcl:"cluster,optional"`
	DefRange  hcl.Range      `hcl:",def_range"`
}

type rawObjRef struct {
	Namespace string `hcl:"namespace"`
	Name      string `hcl:"name"`
	Key       string `hcl:"key,optional"`
}

type rawCTBRef struct {
	SignerName string `hcl:"signer_name"`
}

type rawTarget struct {
	Namespaces        []string  `hcl:"namespaces,optional"`
	NamespaceSelector string    `hcl:"namespace_selector,optional"`
	Name              string    `hcl:"name"`
	Key               string    `hcl:"key,optional"`
	Adopt             bool      `hcl:"adopt,optional"`
	DefRange          hcl.Range `hcl:",def_range"`
}

func decodeCABundle(block *hcl.Block, mod addrs.Module, ctx *hcl.EvalContext, dir string) ([]*CABundle, hcl.Diagnostics) {
	if d := checkName("ca_bundle", block); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	forEach, body, diags := splitForEach(block.Body)
	instances, d := expand(addrs.CABundle, mod, block, forEach, ctx)
	diags = append(diags, d...)
	var out []*CABundle
	for _, in := range instances {
		var raw rawCABundle
		d := decodeBody(body, in.ctx, &raw)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		b := &CABundle{Addr: in.addr, Name: block.Labels[0], DeclRange: block.DefRange}
		var d2 hcl.Diagnostics
		b.Cluster, d2 = decodeClusterRef(raw.Cluster, in.ctx)
		diags = append(diags, d2...)
		if len(raw.Sources) == 0 {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "ca_bundle without sources",
				Detail: `A ca_bundle needs at least one source block, e.g. source { file = "signer-ca.crt" }.`, Subject: block.DefRange.Ptr()})
		}
		for _, rs := range raw.Sources {
			src, d := decodeSource(rs, dir)
			diags = append(diags, d...)
			src.Cluster = b.Cluster
			if rs.Cluster != nil {
				if src.Cluster, d = decodeClusterRef(rs.Cluster, in.ctx); isNullAttr(rs.Cluster, in.ctx) {
					src.Cluster = b.Cluster
				}
				diags = append(diags, d...)
			}
			b.Sources = append(b.Sources, src)
		}
		for _, rt := range []struct {
			kind string
			t    *rawTarget
		}{{TargetConfigMap, raw.ConfigMap}, {TargetSecret, raw.Secret}} {
			t := rt.t
			if t == nil {
				continue
			}
			bt := &BundleTarget{Kind: rt.kind, Namespaces: t.Namespaces, NamespaceSelector: t.NamespaceSelector, Name: t.Name, Key: t.Key, Adopt: t.Adopt}
			if bt.Key == "" {
				bt.Key = "ca.crt"
			}
			if (len(t.Namespaces) == 0) == (t.NamespaceSelector == "") {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid " + rt.kind + " target",
					Detail: "Set exactly one of namespaces (a list) or namespace_selector (a label selector).", Subject: t.DefRange.Ptr()})
			}
			b.Targets = append(b.Targets, bt)
		}
		out = append(out, b)
	}
	return out, diags
}

func decodeSource(rs *rawSource, dir string) (CASource, hcl.Diagnostics) {
	src := CASource{Range: rs.DefRange}
	set := 0
	var diags hcl.Diagnostics
	if rs.File != nil {
		set++
		src.Kind, src.Path = SourceFile, *rs.File
		p := src.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		data, err := limits.ReadFile(p, limits.ConfigFile)
		if err != nil {
			diags = append(diags, sourceError(rs, "Cannot read CA file", fmt.Sprintf("%s. Give a path relative to the configuration directory.", unwrapPathError(err))))
		} else {
			var d hcl.Diagnostics
			src.Certificates, d = parseCAs(data, rs)
			diags = append(diags, d...)
		}
	}
	if rs.PEM != nil {
		set++
		src.Kind = SourcePEM
		var d hcl.Diagnostics
		src.Certificates, d = parseCAs([]byte(*rs.PEM), rs)
		diags = append(diags, d...)
	}
	for _, ref := range []struct {
		kind string
		r    *rawObjRef
	}{{SourceConfigMap, rs.ConfigMap}, {SourceSecret, rs.Secret}} {
		if ref.r != nil {
			set++
			src.Kind, src.Namespace, src.Name, src.Key = ref.kind, ref.r.Namespace, ref.r.Name, ref.r.Key
			if src.Key == "" {
				src.Key = "ca.crt"
			}
		}
	}
	if rs.CTB != nil {
		set++
		src.Kind, src.SignerName = SourceClusterTrustBundle, rs.CTB.SignerName
	}
	if set != 1 {
		diags = append(diags, sourceError(rs, "Invalid CA source",
			fmt.Sprintf("A source block sets exactly one of file, pem, configmap, secret or cluster_trust_bundle; this one sets %d.", set)))
	}
	return src, diags
}

// parseCAs parses every certificate of a PEM source: a non-CA certificate
// is an error, an expired one a warning.
func parseCAs(data []byte, rs *rawSource) ([]*x509.Certificate, hcl.Diagnostics) {
	certs, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		return nil, hcl.Diagnostics{sourceError(rs, "Invalid CA certificate", err.Error()+". A source must hold PEM CERTIFICATE blocks.")}
	}
	var diags hcl.Diagnostics
	now := time.Now()
	for _, c := range certs {
		switch {
		case !c.IsCA:
			diags = append(diags, sourceError(rs, "Not a CA certificate",
				fmt.Sprintf("%q (SHA-256 %s) is not a CA certificate, so nothing can chain to it; list CA certificates only.", c.Subject.String(), Fingerprint(c))))
		case now.After(c.NotAfter):
			w := sourceError(rs, "Expired CA certificate",
				fmt.Sprintf("%q (SHA-256 %s) expired on %s; remove it once nothing chains to it.", c.Subject.String(), Fingerprint(c), c.NotAfter.Format(time.DateOnly)))
			w.Severity = hcl.DiagWarning
			diags = append(diags, w)
		}
	}
	return certs, diags
}

// Fingerprint is a certificate's SHA-256, hex, as bundles identify CAs.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

func sourceError(rs *rawSource, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary, Detail: detail, Subject: rs.DefRange.Ptr()}
}
