package pki

import (
	"crypto/x509"
	"slices"
)

// keyUsages maps the CSR API's usage strings to x509 key usages, as the
// Kubernetes signer does.
var keyUsages = map[string]x509.KeyUsage{
	"signing":            x509.KeyUsageDigitalSignature,
	"digital signature":  x509.KeyUsageDigitalSignature,
	"content commitment": x509.KeyUsageContentCommitment,
	"key encipherment":   x509.KeyUsageKeyEncipherment,
	"key agreement":      x509.KeyUsageKeyAgreement,
	"data encipherment":  x509.KeyUsageDataEncipherment,
	"cert sign":          x509.KeyUsageCertSign,
	"crl sign":           x509.KeyUsageCRLSign,
	"encipher only":      x509.KeyUsageEncipherOnly,
	"decipher only":      x509.KeyUsageDecipherOnly,
}

// extKeyUsages maps the CSR API's usage strings to extended key usages.
var extKeyUsages = map[string]x509.ExtKeyUsage{
	"any":              x509.ExtKeyUsageAny,
	"server auth":      x509.ExtKeyUsageServerAuth,
	"client auth":      x509.ExtKeyUsageClientAuth,
	"code signing":     x509.ExtKeyUsageCodeSigning,
	"email protection": x509.ExtKeyUsageEmailProtection,
	"s/mime":           x509.ExtKeyUsageEmailProtection,
	"ipsec end system": x509.ExtKeyUsageIPSECEndSystem,
	"ipsec tunnel":     x509.ExtKeyUsageIPSECTunnel,
	"ipsec user":       x509.ExtKeyUsageIPSECUser,
	"timestamping":     x509.ExtKeyUsageTimeStamping,
	"ocsp signing":     x509.ExtKeyUsageOCSPSigning,
	"microsoft sgc":    x509.ExtKeyUsageMicrosoftServerGatedCrypto,
	"netscape sgc":     x509.ExtKeyUsageNetscapeServerGatedCrypto,
}

// IsUsage reports whether u is one of the CSR API's key usage strings.
func IsUsage(u string) bool {
	_, k := keyUsages[u]
	_, e := extKeyUsages[u]
	return k || e
}

// Usages lists every usage string the CSR API accepts, sorted.
func Usages() []string {
	var all []string
	for u := range keyUsages {
		all = append(all, u)
	}
	for u := range extKeyUsages {
		all = append(all, u)
	}
	slices.Sort(all)
	return all
}

// missingUsages returns the requested usages that cert does not carry.
func missingUsages(cert *x509.Certificate, usages []string) []string {
	var missing []string
	for _, u := range usages {
		if ku, ok := keyUsages[u]; ok && cert.KeyUsage&ku == 0 {
			missing = append(missing, u)
		}
		if eku, ok := extKeyUsages[u]; ok && !hasExtKeyUsage(cert, eku) {
			missing = append(missing, u)
		}
	}
	return missing
}

func hasExtKeyUsage(cert *x509.Certificate, want x509.ExtKeyUsage) bool {
	for _, got := range cert.ExtKeyUsage {
		if got == want || got == x509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}
