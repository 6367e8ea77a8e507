package config

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// cert-manager signs Kubernetes CSRs for its CA, Vault and Venafi issuers
// under two signer name forms (its certificatesigningrequests controllers):
//
//	clusterissuers.cert-manager.io/NAME
//	issuers.cert-manager.io/NAMESPACE.NAME
//
// Its signers return the issued certificate followed by the intermediate
// CAs it was signed through, never the self-signed root, and they report
// problems (an issuer that does not exist or is not ready, a missing CA
// Secret) only as Warning events on the CSR.
const (
	certManagerClusterIssuers = "clusterissuers.cert-manager.io/"
	certManagerIssuers        = "issuers.cert-manager.io/"
)

// IsCertManagerSigner reports whether name is one of cert-manager's signer
// names for Kubernetes CSRs.
func IsCertManagerSigner(name string) bool {
	return strings.HasPrefix(name, certManagerClusterIssuers) || strings.HasPrefix(name, certManagerIssuers)
}

// certManagerSignerName checks the part of a cert-manager signer name that
// names the issuer: an Issuer is namespaced, and cert-manager reads
// issuers.cert-manager.io/NAME without a namespace as an Issuer in no
// namespace, which never exists.
func certManagerSignerName(c *Certificate) hcl.Diagnostics {
	ref, ok := strings.CutPrefix(c.SignerName, certManagerIssuers)
	if !ok {
		return nil
	}
	if ns, name, found := strings.Cut(ref, "."); !found || ns == "" || name == "" {
		return hcl.Diagnostics{attrError(c, "signer_name", "Issuer signer name without a namespace",
			`cert-manager's signer name for a namespaced Issuer is "issuers.cert-manager.io/NAMESPACE.NAME"; `+
				`for a ClusterIssuer it is "clusterissuers.cert-manager.io/NAME".`)}
	}
	return nil
}
