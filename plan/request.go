package plan

import (
	"slices"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// RequestOf is the request a certificate block asks for, in the form state
// records it.
func RequestOf(c *config.Certificate) state.Request {
	s := c.Request.Subject
	return state.Request{
		CommonName:         s.CommonName,
		Organization:       slices.Clone(s.Organization),
		OrganizationalUnit: slices.Clone(s.OrganizationalUnit),
		Country:            slices.Clone(s.Country),
		Province:           slices.Clone(s.Province),
		Locality:           slices.Clone(s.Locality),
		Hosts:              slices.Clone(c.Request.Hosts),
		KeyAlgorithm:       c.Key.Algorithm,
		KeySize:            c.Key.Size,
		KeyEncoding:        c.Key.Encoding,
		SignerName:         c.SignerName,
		Usages:             slices.Clone(c.Usages),
		ExpirationSeconds:  c.ExpirationSeconds,
	}
}

// requestDiff names the configuration attributes whose values differ
// between two requests, in a stable order. Order within lists matters for
// hosts (it is the order of SANs in the certificate) and not for usages.
func requestDiff(before, after state.Request) []string {
	var changed []string
	add := func(name string, differ bool) {
		if differ {
			changed = append(changed, name)
		}
	}
	add("common_name", before.CommonName != after.CommonName)
	add("subject.organization", !slices.Equal(before.Organization, after.Organization))
	add("subject.organizational_unit", !slices.Equal(before.OrganizationalUnit, after.OrganizationalUnit))
	add("subject.country", !slices.Equal(before.Country, after.Country))
	add("subject.province", !slices.Equal(before.Province, after.Province))
	add("subject.locality", !slices.Equal(before.Locality, after.Locality))
	add("hosts", !slices.Equal(before.Hosts, after.Hosts))
	add("key.algorithm", before.KeyAlgorithm != after.KeyAlgorithm)
	add("key.size", before.KeySize != after.KeySize)
	add("key.encoding", before.KeyEncoding != after.KeyEncoding)
	add("signer_name", before.SignerName != after.SignerName)
	add("usages", !sameSet(before.Usages, after.Usages))
	add("expiration_seconds", before.ExpirationSeconds != after.ExpirationSeconds)
	return changed
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
