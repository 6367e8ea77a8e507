package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/certform/certform/internal/pki"
)

// Built-in Kubernetes signer names whose rules are checked before submission.
const (
	SignerKubeletServing      = "kubernetes.io/kubelet-serving"
	SignerAPIServerClient     = "kubernetes.io/kube-apiserver-client"
	SignerAPIServerClientKlet = "kubernetes.io/kube-apiserver-client-kubelet"
	SignerLegacyUnknown       = "kubernetes.io/legacy-unknown"
)

// builtinSigners are the kubernetes.io signers kube-controller-manager
// signs CSRs for (legacy-unknown only through the old v1beta1 API). Any
// other kubernetes.io/ name is reserved and signed by no one: a CSR for it
// would wait for its full timeout.
var builtinSigners = []string{SignerKubeletServing, SignerAPIServerClient, SignerAPIServerClientKlet, SignerLegacyUnknown}

// IsBuiltinSigner reports whether name is in the reserved kubernetes.io
// domain, whose signers return the certificate alone, without a chain.
func IsBuiltinSigner(name string) bool {
	return strings.HasPrefix(name, "kubernetes.io/")
}

// validateSigner checks the signer name's form and, for the built-in
// signers, the rules their signer enforces, so that a CSR the signer would
// refuse is caught before it is submitted.
func validateSigner(c *Certificate) hcl.Diagnostics {
	name := c.SignerName
	domain, path, ok := strings.Cut(name, "/")
	if !ok || path == "" || strings.Contains(path, "/") || len(validation.IsDNS1123Subdomain(domain)) > 0 {
		detail := fmt.Sprintf(`%q is not a domain-qualified signer name such as "kubernetes.io/kubelet-serving" or "example.com/my-signer".`, name)
		if full := "kubernetes.io/" + name; !ok && slices.Contains(builtinSigners[:3], full) {
			detail = fmt.Sprintf("%q is not a domain-qualified signer name: the built-in signers are in the kubernetes.io domain. Did you mean %q?", name, full)
		}
		return hcl.Diagnostics{attrError(c, "signer_name", "Invalid signer name", detail)}
	}
	if domain == "kubernetes.io" && !slices.Contains(builtinSigners, name) {
		detail := fmt.Sprintf("%q is in the reserved kubernetes.io domain, but Kubernetes has no such signer: nothing would ever sign its CSR.", name)
		if s := suggest(name, builtinSigners[:3]); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		} else {
			detail += " The built-in signers are " + strings.Join(builtinSigners[:3], ", ") + "; a third-party signer has its own domain, e.g. \"example.com/my-signer\"."
		}
		return hcl.Diagnostics{attrError(c, "signer_name", "Unknown built-in signer", detail)}
	}
	hosts := pki.ClassifyHosts(c.Request.Hosts)
	var diags hcl.Diagnostics
	if c.Output.CAFile != "" && c.Output.CABundle == "" {
		switch {
		case IsBuiltinSigner(name):
			diags = append(diags, attrError(c, "output.ca_file", "ca_file needs a ca_bundle",
				name+" returns the certificate alone, without the CA that signed it, so ca_file would have nothing to hold. "+
					"Name a bundle that holds the cluster's signing CA with output.ca_bundle, or remove ca_file."))
		case IsCertManagerSigner(name):
			diags = append(diags, attrError(c, "output.ca_file", "ca_file needs a ca_bundle",
				name+" is cert-manager's: it returns the certificate and any intermediate CAs, never the root CA, so ca_file would hold no root to trust. "+
					`Name a bundle with output.ca_bundle, e.g. one whose source reads the issuer's Secret: source { secret { namespace = "cert-manager" name = "root-ca" key = "ca.crt" } }; or remove ca_file.`))
		}
	}
	diags = append(diags, certManagerSignerName(c)...)
	switch name {
	case SignerLegacyUnknown:
		diags = append(diags, attrError(c, "signer_name", "Signer not allowed",
			"kubernetes.io/legacy-unknown cannot be requested through certificates.k8s.io/v1; use kubernetes.io/kubelet-serving, kubernetes.io/kube-apiserver-client or your own signer."))
	case SignerKubeletServing:
		diags = append(diags, nodeSubject(c, name)...)
		if len(hosts.EmailAddresses)+len(hosts.URIs) > 0 {
			diags = append(diags, attrError(c, "hosts", "Host not allowed by signer",
				name+" signs only DNS names and IP addresses; remove e-mail addresses and URIs from hosts."))
		}
		if len(hosts.DNSNames)+len(hosts.IPAddresses) == 0 {
			diags = append(diags, attrError(c, "hosts", "Signer needs hosts",
				name+" needs at least one DNS name or IP address in hosts."))
		}
		diags = append(diags, usagesWithin(c, name, "server auth", "digital signature", "key encipherment", "server auth")...)
	case SignerAPIServerClient:
		diags = append(diags, usagesWithin(c, name, "client auth", "digital signature", "key encipherment", "client auth")...)
	case SignerAPIServerClientKlet:
		diags = append(diags, nodeSubject(c, name)...)
		if len(c.Request.Hosts) > 0 {
			diags = append(diags, attrError(c, "hosts", "Host not allowed by signer",
				name+" issues client certificates without subject alternative names; remove hosts."))
		}
		diags = append(diags, usagesWithin(c, name, "client auth", "digital signature", "key encipherment", "client auth")...)
	}
	return diags
}

// nodeSubject checks the subject a node signer requires.
func nodeSubject(c *Certificate, signer string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	subj := c.Request.Subject
	if !slices.Equal(subj.Organization, []string{"system:nodes"}) {
		diags = append(diags, attrError(c, "subject.organization", "Subject not allowed by signer",
			signer+` needs the organization to be exactly ["system:nodes"].`))
	}
	if !strings.HasPrefix(subj.CommonName, "system:node:") {
		diags = append(diags, attrError(c, "common_name", "Subject not allowed by signer",
			signer+` needs a common name that starts with "system:node:", e.g. "system:node:my-pod.my-namespace.pod.cluster.local".`))
	}
	return diags
}

// usagesWithin checks that the usages include required and stay within allowed.
func usagesWithin(c *Certificate, signer, required string, allowed ...string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if !slices.Contains(c.Usages, required) {
		diags = append(diags, attrError(c, "usages", "Usages not allowed by signer",
			fmt.Sprintf("%s needs the usage %q.", signer, required)))
	}
	for _, u := range c.Usages {
		if pki.IsUsage(u) && !slices.Contains(allowed, u) {
			diags = append(diags, attrError(c, "usages", "Usages not allowed by signer",
				fmt.Sprintf("%s does not allow the usage %q; allowed: %s.", signer, u, strings.Join(allowed, ", "))))
		}
	}
	return diags
}
