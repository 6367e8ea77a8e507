package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// Hosts are subject alternative names, split by kind.
type Hosts struct {
	DNSNames       []string
	IPAddresses    []net.IP
	EmailAddresses []string
	URIs           []*url.URL
}

// Host kinds, as ClassifyHost returns them.
const (
	HostIP    = "IP address"
	HostEmail = "e-mail address"
	HostURI   = "URI"
	HostDNS   = "DNS name"
)

// ClassifyHost says what kind of name host is, in cfssl's order: an IP
// address, else an e-mail address, else a URI (only with a scheme, unlike
// cfssl, so that a bare path is not mistaken for one), else a DNS name.
func ClassifyHost(host string) string {
	if net.ParseIP(host) != nil {
		return HostIP
	}
	// An address is local@domain and a scheme ends in a colon: the
	// parsers, costly at thousands of hosts, need not see a name with
	// neither.
	if !strings.ContainsAny(host, "@:") {
		return HostDNS
	}
	if a, err := mail.ParseAddress(host); err == nil && a.Address == host {
		return HostEmail
	}
	if u, err := url.ParseRequestURI(host); err == nil && u.Scheme != "" {
		return HostURI
	}
	return HostDNS
}

// ClassifyHosts splits hosts into SAN kinds, keeping their order.
func ClassifyHosts(hosts []string) Hosts {
	var h Hosts
	for _, host := range hosts {
		switch ClassifyHost(host) {
		case HostIP:
			h.IPAddresses = append(h.IPAddresses, net.ParseIP(host))
		case HostEmail:
			h.EmailAddresses = append(h.EmailAddresses, host)
		case HostURI:
			u, _ := url.ParseRequestURI(host)
			h.URIs = append(h.URIs, u)
		default:
			h.DNSNames = append(h.DNSNames, host)
		}
	}
	return h
}

// Request is what certform asks a signer for, independent of the key.
type Request struct {
	Subject pkix.Name
	Hosts   []string
}

// CreateCSR signs a PKCS#10 request for req with key and returns it as PEM.
func CreateCSR(key crypto.Signer, req Request) ([]byte, error) {
	h := ClassifyHosts(req.Hosts)
	tmpl := &x509.CertificateRequest{
		Subject:        req.Subject,
		DNSNames:       h.DNSNames,
		IPAddresses:    h.IPAddresses,
		EmailAddresses: h.EmailAddresses,
		URIs:           h.URIs,
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("creating certificate request: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), nil
}

// ParseCSRPEM reads the first CERTIFICATE REQUEST block of data.
func ParseCSRPEM(data []byte) (*x509.CertificateRequest, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no CERTIFICATE REQUEST PEM block found")
		}
		if block.Type == "CERTIFICATE REQUEST" || block.Type == "NEW CERTIFICATE REQUEST" {
			return x509.ParseCertificateRequest(block.Bytes)
		}
	}
}

// ParseCertificatesPEM reads every CERTIFICATE block of data, in order. It
// fails on data with no certificate or with one that does not parse.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE PEM block found")
	}
	return certs, nil
}

// EncodeCertificates returns certs as concatenated PEM blocks.
func EncodeCertificates(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

func ipStrings(ips []net.IP) []string {
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out
}
