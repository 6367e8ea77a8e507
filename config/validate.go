package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/certform/certform/internal/pki"
)

// validateCertificate runs every check of one certificate instance and
// returns all the problems it finds.
func validateCertificate(c *Certificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	diags = append(diags, validateKey(c)...)
	diags = append(diags, validateHosts(c)...)
	diags = append(diags, validateUsages(c)...)
	diags = append(diags, validateSigner(c)...)
	if c.Request.Subject.CommonName == "" && len(c.Request.Hosts) == 0 {
		diags = append(diags, attrError(c, "", "Certificate names nothing",
			"Set common_name, hosts, or both: a certificate must identify something."))
	}
	return diags
}

func validateKey(c *Certificate) hcl.Diagnostics {
	k := c.Key
	switch k.Algorithm {
	case pki.ECDSA:
		if !slices.Contains([]int{256, 384, 521}, k.Size) {
			return hcl.Diagnostics{attrError(c, "key.size", "Invalid key size",
				fmt.Sprintf("An ecdsa key is 256, 384 or 521 bits, not %d.", k.Size))}
		}
		if k.Encoding == pki.PKCS1 {
			return hcl.Diagnostics{attrError(c, "key.encoding", "Invalid key encoding",
				`pkcs1 is for rsa keys; use "pkcs8" or "sec1" for ecdsa.`)}
		}
	case pki.RSA:
		if k.Size < 2048 || k.Size > 8192 || k.Size%8 != 0 {
			return hcl.Diagnostics{attrError(c, "key.size", "Invalid key size",
				fmt.Sprintf("An rsa key is 2048 to 8192 bits, a multiple of 8, not %d.", k.Size))}
		}
		if k.Encoding == pki.SEC1 {
			return hcl.Diagnostics{attrError(c, "key.encoding", "Invalid key encoding",
				`sec1 is for ecdsa keys; use "pkcs8" or "pkcs1" for rsa.`)}
		}
	case pki.Ed25519:
		if _, set := c.AttrRanges["key.size"]; set {
			return hcl.Diagnostics{attrError(c, "key.size", "Invalid key size",
				"An ed25519 key has a fixed size; remove size.")}
		}
		if k.Encoding != pki.PKCS8 {
			return hcl.Diagnostics{attrError(c, "key.encoding", "Invalid key encoding",
				`An ed25519 key is encoded as "pkcs8".`)}
		}
	default:
		return hcl.Diagnostics{attrError(c, "key.algorithm", "Unknown key algorithm",
			fmt.Sprintf(`%q is not a key algorithm; use "ecdsa", "rsa" or "ed25519".`, k.Algorithm))}
	}
	var diags hcl.Diagnostics
	if !slices.Contains([]string{pki.PKCS8, pki.SEC1, pki.PKCS1}, k.Encoding) {
		diags = append(diags, attrError(c, "key.encoding", "Unknown key encoding",
			fmt.Sprintf(`%q is not a key encoding; use "pkcs8", "sec1" (ecdsa) or "pkcs1" (rsa).`, k.Encoding)))
	}
	if k.Rotation != RotateAlways && k.Rotation != RotateNever {
		diags = append(diags, attrError(c, "key.rotation", "Unknown key rotation",
			fmt.Sprintf(`%q is not a rotation policy; use "always" (a new key on every reissue) or "never".`, k.Rotation)))
	}
	return diags
}

func validateHosts(c *Certificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, h := range c.Request.Hosts {
		if seen[h] {
			diags = append(diags, attrError(c, "hosts", "Duplicate host",
				fmt.Sprintf("%q is listed twice; list each host once.", h)))
		}
		seen[h] = true
		if pki.ClassifyHost(h) != pki.HostDNS {
			continue
		}
		if msg := dnsNameProblem(h); msg != "" {
			detail := fmt.Sprintf("%q %s.", h, msg)
			if lower := strings.ToLower(h); lower != h && dnsNameProblem(lower) == "" {
				detail = fmt.Sprintf("%q has upper-case letters; DNS names are written in lower case. Did you mean %q?", h, lower)
			}
			diags = append(diags, attrError(c, "hosts", "Invalid host", detail))
		}
	}
	return diags
}

// dnsNameProblem explains why name is not a valid DNS SAN, or returns "".
func dnsNameProblem(name string) string {
	base, wildcard := strings.CutPrefix(name, "*.")
	if strings.Contains(base, "*") {
		return "has a wildcard that is not the whole leftmost label; only \"*.example.com\" is allowed"
	}
	if wildcard && !strings.Contains(base, ".") {
		return "is a wildcard over a top-level name; a wildcard needs at least two labels after \"*.\""
	}
	if errs := validation.IsDNS1123Subdomain(base); len(errs) > 0 {
		return "is not an IP address, e-mail address, URI or valid DNS name: " + errs[0]
	}
	return ""
}

func validateUsages(c *Certificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if len(c.Usages) == 0 {
		diags = append(diags, attrError(c, "usages", "No usages",
			`The CSR API needs at least one usage, e.g. ["digital signature", "key encipherment", "server auth"].`))
	}
	for _, u := range c.Usages {
		if !pki.IsUsage(u) {
			detail := fmt.Sprintf("%q is not a usage of the CSR API; use one of: %s.", u, strings.Join(pki.Usages(), ", "))
			if s := suggestUsage(u); s != "" {
				detail = fmt.Sprintf("%q is not a usage of the CSR API. Did you mean %q?", u, s)
			}
			diags = append(diags, attrError(c, "usages", "Unknown usage", detail))
		}
	}
	return diags
}

// attrError is an error diagnostic pointing at attr of c (or at c's block
// when attr is "" or unset).
func attrError(c *Certificate, attr, summary, detail string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   detail,
		Subject:  c.Range(attr).Ptr(),
	}
}

// validateBundleRefs checks that output.ca_bundle names a declared bundle.
func validateBundleRefs(cfg *Config) hcl.Diagnostics {
	known := map[string]*CABundle{}
	for _, b := range cfg.CABundles {
		known[b.Addr] = b
	}
	var diags hcl.Diagnostics
	for _, c := range cfg.Certificates {
		ref := c.Output.CABundle
		b, ok := known[ref]
		switch {
		case ref == "":
		case !ok:
			diags = append(diags, attrError(c, "output.ca_bundle", "Unknown CA bundle",
				fmt.Sprintf("%q is not a declared ca_bundle; write ca_bundle = ca_bundle.NAME for a ca_bundle \"NAME\" block.", ref)))
		case b.Cluster != c.Cluster:
			// Each cluster is planned and applied on its own (fleets): a
			// bundle's content is known only where it is published.
			diags = append(diags, attrError(c, "output.ca_bundle", "CA bundle of another cluster",
				fmt.Sprintf("%s is published to cluster %q, but %s is issued in cluster %q. Name a ca_bundle of the same cluster: "+
					"a ca_bundle with cluster = kubernetes.%s can read its sources from any cluster (source { cluster = kubernetes.%s ... }).",
					ref, b.Cluster, c.Addr, c.Cluster, c.Cluster, b.Cluster)))
		}
	}
	return diags
}
