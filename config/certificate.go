package config

import (
	"crypto/x509/pkix"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/internal/pki"
)

// rawCertificate is a certificate block as written, before defaults.
type rawCertificate struct {
	CommonName        string         `hcl:"common_name,optional"`
	Hosts             []string       `hcl:"hosts,optional"`
	Subject           *rawSubject    `hcl:"subject,block"`
	Key               *rawKey        `hcl:"key,block"`
	SignerName        string         `hcl:"signer_name"`
	Usages            []string       `hcl:"usages,optional"`
	ExpirationSeconds *int64         `hcl:"expiration_seconds,optional"`
	SelfApprove       bool           `hcl:"self_approve,optional"`
	RenewBefore       string         `hcl:"renew_before,optional"`
	RenewBeforePct    *int           `hcl:"renew_before_percentage,optional"`
	RenewJitter       string         `hcl:"renew_jitter,optional"`
	Cluster           hcl.Expression `hcl:"cluster,optional"`
	CSRName           string         `hcl:"csr_name,optional"`
	Output            *rawOutput     `hcl:"output,block"`
	Secret            *rawSecret     `hcl:"secret,block"`
	Keystore          *rawKeystore   `hcl:"keystore,block"`
	OnChange          *rawOnChange   `hcl:"on_change,block"`
}

type rawSecret struct {
	Namespace   string            `hcl:"namespace"`
	Name        string            `hcl:"name"`
	Adopt       bool              `hcl:"adopt,optional"`
	Formats     []string          `hcl:"formats,optional"`
	Labels      map[string]string `hcl:"labels,optional"`
	Annotations map[string]string `hcl:"annotations,optional"`
}

type rawSubject struct {
	Organization       []string `hcl:"organization,optional"`
	OrganizationalUnit []string `hcl:"organizational_unit,optional"`
	Country            []string `hcl:"country,optional"`
	Province           []string `hcl:"province,optional"`
	Locality           []string `hcl:"locality,optional"`
}

type rawKey struct {
	Algorithm string `hcl:"algorithm,optional"`
	Size      int    `hcl:"size,optional"`
	Encoding  string `hcl:"encoding,optional"`
	Rotation  string `hcl:"rotation,optional"`
}

type rawOutput struct {
	KeyFile               string `hcl:"key_file"`
	CertFile              string `hcl:"cert_file"`
	CAFile                string `hcl:"ca_file,optional"`
	CABundle              string `hcl:"ca_bundle,optional"`
	CSRFile               string `hcl:"csr_file,optional"`
	ChainFile             string `hcl:"chain_file,optional"`
	FileMode              string `hcl:"file_mode,optional"`
	KeyFileMode           string `hcl:"key_file_mode,optional"`
	AllowWorldReadableKey bool   `hcl:"allow_world_readable_key,optional"`
	PKCS12File            string `hcl:"pkcs12_file,optional"`
	PKCS12TruststoreFile  string `hcl:"pkcs12_truststore_file,optional"`
	JKSFile               string `hcl:"jks_file,optional"`
	JKSTruststoreFile     string `hcl:"jks_truststore_file,optional"`
	CombinedPEMFile       string `hcl:"combined_pem_file,optional"`
	DERFile               string `hcl:"der_file,optional"`
	DERKeyFile            string `hcl:"der_key_file,optional"`
}

// DefaultUsages are the usages of a certificate block that sets none: those
// of the seed's serving certificate.
var DefaultUsages = []string{"digital signature", "key encipherment", "server auth"}

// decodeCertificate decodes every instance of a certificate block.
func decodeCertificate(block *hcl.Block, mod addrs.Module, ctx *hcl.EvalContext, sensitive sensitivity) ([]*Certificate, hcl.Diagnostics) {
	name := block.Labels[0]
	if d := checkName("certificate", block); d != nil {
		return nil, hcl.Diagnostics{d}
	}
	forEach, body, diags := splitForEach(block.Body)
	instances, d := expand(addrs.Certificate, mod, block, forEach, ctx)
	diags = append(diags, d...)
	ranges, sens := attrRanges(body), sensitive.sensitiveAttrs(body, forEach) // the same for every instance
	var cc contentCache
	decoded := make([]*Certificate, len(instances))
	instDiags := make([]hcl.Diagnostics, len(instances))
	eachInstance(len(instances), func(i int) {
		in := instances[i]
		var raw rawCertificate
		d := decodeBodyIn(&cc, body, in.ctx, &raw)
		if d.HasErrors() {
			instDiags[i] = d
			return
		}
		c := &Certificate{Addr: in.addr, Name: name, DeclRange: block.DefRange, AttrRanges: ranges, Sensitive: sens}
		d = append(d, c.fill(&raw)...)
		var d2 hcl.Diagnostics
		c.Cluster, d2 = decodeClusterRef(raw.Cluster, in.ctx)
		d = append(d, d2...)
		instDiags[i], decoded[i] = append(d, validateCertificate(c)...), c
	})
	var certs []*Certificate
	for i, c := range decoded {
		diags = append(diags, instDiags[i]...)
		if c != nil {
			certs = append(certs, c)
		}
	}
	return certs, diags
}

// checkName reports a block label that is not a valid name.
func checkName(kind string, block *hcl.Block) *hcl.Diagnostic {
	if hclsyntax.ValidIdentifier(block.Labels[0]) {
		return nil
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  "Invalid " + kind + " name",
		Detail:   fmt.Sprintf("%q is not a valid name: use letters, digits, underscores and dashes, starting with a letter.", block.Labels[0]),
		Subject:  block.LabelRanges[0].Ptr(),
	}
}

// fill copies raw into c, applying defaults.
func (c *Certificate) fill(raw *rawCertificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	c.Request.Subject = pkix.Name{CommonName: raw.CommonName}
	if s := raw.Subject; s != nil {
		c.Request.Subject.Organization = s.Organization
		c.Request.Subject.OrganizationalUnit = s.OrganizationalUnit
		c.Request.Subject.Country = s.Country
		c.Request.Subject.Province = s.Province
		c.Request.Subject.Locality = s.Locality
	}
	c.Request.Hosts = raw.Hosts
	c.Key = KeySpec{KeySpec: pki.KeySpec{Algorithm: pki.ECDSA}, Rotation: RotateAlways}
	if k := raw.Key; k != nil {
		if k.Algorithm != "" {
			c.Key.Algorithm = k.Algorithm
		}
		c.Key.Size = k.Size
		c.Key.Encoding = k.Encoding
		if k.Rotation != "" {
			c.Key.Rotation = k.Rotation
		}
	}
	if c.Key.Size == 0 {
		c.Key.Size = map[string]int{pki.ECDSA: 256, pki.RSA: 2048}[c.Key.Algorithm]
	}
	if c.Key.Encoding == "" {
		c.Key.Encoding = pki.PKCS8
	}
	c.SignerName = raw.SignerName
	c.Usages = raw.Usages
	if _, set := c.AttrRanges["usages"]; !set {
		c.Usages = DefaultUsages
	}
	if raw.ExpirationSeconds != nil {
		v := *raw.ExpirationSeconds
		if v < 600 || v > 1<<31-1 {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError,
				Summary:  "Invalid expiration_seconds",
				Detail:   fmt.Sprintf("expiration_seconds is %d; the CSR API needs at least 600 (10 minutes) and at most 2147483647. Remove it to take the signer's default.", v),
				Subject:  c.Range("expiration_seconds").Ptr(),
			})
		}
		c.ExpirationSeconds = int32(min(max(v, 0), 1<<31-1))
	}
	c.SelfApprove = raw.SelfApprove
	diags = append(diags, c.fillRenewal(raw)...)
	c.CSRName = raw.CSRName
	if raw.Output == nil && raw.Secret == nil {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Missing output or secret block",
			Detail: `A certificate needs somewhere to keep its key: a secret block (a kubernetes.io/tls Secret, the key's home that every runner can read), ` +
				`an output block (files on this machine), or both, e.g. secret { namespace = "default"  name = "web-tls" }.`,
			Subject: c.DeclRange.Ptr(),
		})
	}
	if o := raw.Output; o != nil {
		c.Output = Output{KeyFile: o.KeyFile, CertFile: o.CertFile, CAFile: o.CAFile, CABundle: o.CABundle, CSRFile: o.CSRFile,
			ChainFile: o.ChainFile, AllowWorldReadableKey: o.AllowWorldReadableKey, Extra: o.extraFiles()}
		diags = append(diags, c.fillModes(o)...)
		for _, f := range [][2]string{{"output.key_file", o.KeyFile}, {"output.cert_file", o.CertFile}} {
			if attr := f[0]; f[1] == "" {
				diags = append(diags, attrError(c, attr, "Empty output path",
					fmt.Sprintf("%s is empty; name a file, or remove the output block to keep the key only in the Secret.", attr)))
			}
		}
		if o.CABundle != "" && o.CAFile == "" {
			diags = append(diags, attrError(c, "output.ca_bundle", "ca_bundle without ca_file",
				"output.ca_bundle says which bundle to write to ca_file; set ca_file too."))
		}
	}
	if raw.Secret != nil {
		c.Secret = &SecretOutput{Namespace: raw.Secret.Namespace, Name: raw.Secret.Name, Adopt: raw.Secret.Adopt}
	}
	diags = append(diags, c.fillDelivery(raw)...)
	return diags
}

// attrRanges records the range of every attribute in body and its nested
// blocks, keyed "attr" or "block.attr".
func attrRanges(body hcl.Body) map[string]hcl.Range {
	ranges := map[string]hcl.Range{}
	var walk func(prefix string, b *hclsyntax.Body)
	walk = func(prefix string, b *hclsyntax.Body) {
		for name, a := range b.Attributes {
			ranges[prefix+name] = a.SrcRange
		}
		for _, blk := range b.Blocks {
			walk(prefix+blk.Type+".", blk.Body)
		}
	}
	if b, ok := body.(*hclsyntax.Body); ok {
		walk("", b)
	}
	return ranges
}

func (c *Certificate) fillRenewal(raw *rawCertificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if raw.RenewBefore != "" && raw.RenewBeforePct != nil {
		diags = append(diags, attrError(c, "renew_before_percentage", "Conflicting renewal settings",
			"Set renew_before or renew_before_percentage, not both."))
	}
	if raw.RenewBefore != "" {
		d, err := time.ParseDuration(raw.RenewBefore)
		switch {
		case err != nil:
			diags = append(diags, attrError(c, "renew_before", "Invalid duration",
				fmt.Sprintf("renew_before %q is not a duration; write it as \"720h\", \"8h\" or \"30m\".", raw.RenewBefore)))
		case d <= 0:
			diags = append(diags, attrError(c, "renew_before", "Invalid duration",
				"renew_before must be positive."))
		case c.ExpirationSeconds > 0 && d >= time.Duration(c.ExpirationSeconds)*time.Second:
			diags = append(diags, attrError(c, "renew_before", "Renewal window too long",
				fmt.Sprintf("renew_before (%s) is not shorter than the lifetime (expiration_seconds = %d), so every plan would renew; shorten it.", d, c.ExpirationSeconds)))
		}
		c.RenewBefore = d
	}
	if p := raw.RenewBeforePct; p != nil {
		if *p < 1 || *p > 99 {
			diags = append(diags, attrError(c, "renew_before_percentage", "Invalid percentage",
				fmt.Sprintf("renew_before_percentage is %d; use 1 to 99 (percent of the lifetime left when renewal starts).", *p)))
		}
		c.RenewBeforePercentage = *p
	}
	if raw.RenewJitter != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(raw.RenewJitter), "%"))
		if err != nil || !strings.HasSuffix(raw.RenewJitter, "%") || n < 0 || n > MaxRenewJitter {
			diags = append(diags, attrError(c, "renew_jitter", "Invalid renew_jitter",
				fmt.Sprintf("renew_jitter %q is not a percentage of the lifetime from \"0%%\" to \"%d%%\", e.g. \"10%%\": "+
					"the renewal point moves earlier by up to that share of the lifetime.", raw.RenewJitter, MaxRenewJitter)))
		}
		c.RenewJitter = n
	}
	return diags
}

// MaxRenewJitter bounds renew_jitter: a spread of more than half the
// lifetime would renew certificates that have barely started.
const MaxRenewJitter = 50

// fillModes parses the output modes and keeps keys private unless told.
func (c *Certificate) fillModes(o *rawOutput) hcl.Diagnostics {
	var diags hcl.Diagnostics
	parse := func(attr, text string, def fs.FileMode) fs.FileMode {
		if text == "" {
			return def
		}
		m, err := strconv.ParseUint(text, 8, 32)
		if err != nil || m > 0o777 || m&0o400 == 0 {
			diags = append(diags, attrError(c, attr, "Invalid file mode",
				fmt.Sprintf("%q is not an octal file mode that lets its owner read, such as \"0640\".", text)))
			return def
		}
		return fs.FileMode(m)
	}
	c.Output.FileMode = parse("output.file_mode", o.FileMode, 0o644)
	c.Output.KeyFileMode = parse("output.key_file_mode", o.KeyFileMode, 0o600)
	if c.Output.KeyFileMode&0o077 != 0 && !o.AllowWorldReadableKey {
		diags = append(diags, attrError(c, "output.key_file_mode", "Private key readable by others",
			fmt.Sprintf("key_file_mode %04o lets users other than the owner read the private key; set allow_world_readable_key = true if that is really meant.", uint32(c.Output.KeyFileMode))))
	}
	return diags
}
