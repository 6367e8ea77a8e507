package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"

	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/state"
)

// OutputValue is an output block: a value the configuration hands to
// whoever runs it (the root's, printed after apply and kept in state) or to
// the module that calls it. (Output is a certificate's output files.)
type OutputValue struct {
	Name        string
	Description string
	// Sensitive outputs are stored but not printed unless asked for by
	// name. No output ever holds private key material: certificate
	// attributes exclude it and a value that contains a PEM private key is
	// an error.
	Sensitive bool
	// Value is unknown (not wholly known) while it depends on certificate
	// attributes known only after apply and Inputs.State lacks them.
	Value     cty.Value
	DeclRange hcl.Range
}

var outputSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "value", Required: true}, {Name: "description"}, {Name: "sensitive"}},
}

// CertificateAttributes are the attributes of certificate.NAME (and
// certificate.NAME["KEY"]) in output blocks, in the order the docs list
// them. The first group comes from the configuration; AppliedAttributes
// from state, after apply. None is key material.
var CertificateAttributes = []string{"address", "common_name", "hosts", "signer_name",
	"cert_file", "key_file", "ca_file", "chain_file", "csr_file", "secret_namespace", "secret_name"}

// AppliedAttributes are the certificate attributes known only after apply.
var AppliedAttributes = []string{"serial_number", "not_before", "not_after", "key_sha256", "csr_name"}

// decodeOutputValues evaluates sc's output blocks. Their expressions may
// also use certificate.NAME, the certificates of sc.
func (sc *scope) decodeOutputValues(blocks []*hcl.Block, ctx *hcl.EvalContext, certs []*Certificate) ([]*OutputValue, hcl.Diagnostics) {
	if len(blocks) == 0 {
		return nil, nil
	}
	octx := ctx.NewChild()
	octx.Variables = map[string]cty.Value{"certificate": sc.certificateRefs(certs)}
	var diags hcl.Diagnostics
	var outs []*OutputValue
	seen := map[string]hcl.Range{}
	for _, b := range blocks {
		if prev, dup := seen[b.Labels[0]]; dup {
			diags = append(diags, duplicateBlock(b, prev))
			continue
		}
		seen[b.Labels[0]] = b.DefRange
		if d := checkName("output", b); d != nil {
			diags = append(diags, d)
			continue
		}
		content, d := b.Body.Content(outputSchema)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		o := &OutputValue{Name: b.Labels[0], DeclRange: b.DefRange}
		for name, target := range map[string]any{"description": &o.Description, "sensitive": &o.Sensitive} {
			if a, ok := content.Attributes[name]; ok {
				diags = append(diags, decodeStatic(a, target)...)
			}
		}
		expr := content.Attributes["value"].Expr
		v, d := expr.Value(octx)
		diags = append(diags, d...)
		if d.HasErrors() {
			v = cty.DynamicVal
		}
		if holdsPrivateKey(v) {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Output holds a private key",
				Detail:  "This value contains a PEM private key. Outputs are kept in state and printed, where no key may ever be; output the key file's path (certificate.NAME.key_file) or the Secret's name instead.",
				Subject: expr.Range().Ptr()})
			v = cty.DynamicVal
		}
		o.Value = v
		outs = append(outs, o)
	}
	slices.SortFunc(outs, func(a, b *OutputValue) int { return strings.Compare(a.Name, b.Name) })
	return outs, diags
}

// holdsPrivateKey reports whether any known string in v holds a PEM
// private key (as file() of a key file would).
func holdsPrivateKey(v cty.Value) bool {
	found := false
	_ = cty.Walk(v, func(_ cty.Path, x cty.Value) (bool, error) {
		if x.IsKnown() && !x.IsNull() && x.Type() == cty.String && strings.Contains(x.AsString(), "PRIVATE KEY-----") {
			found = true
		}
		return !found, nil
	})
	return found
}

// certificateRefs is certificate.NAME for sc's output blocks: an object of
// attributes, or for a block with for_each a map of them by instance key.
func (sc *scope) certificateRefs(certs []*Certificate) cty.Value {
	byBlock := map[string]map[string]cty.Value{}
	single := map[string]cty.Value{}
	for _, c := range certs {
		a := mustParse(c.Addr)
		obj := certificateObject(c, sc.in.State)
		if !a.HasKey {
			single[a.Name] = obj
			continue
		}
		if byBlock[a.Name] == nil {
			byBlock[a.Name] = map[string]cty.Value{}
		}
		byBlock[a.Name][a.Key] = obj
	}
	refs := map[string]cty.Value{}
	maps.Copy(refs, single)
	for name, m := range byBlock {
		refs[name] = cty.MapVal(m)
	}
	return cty.ObjectVal(refs)
}

// certificateObject is one certificate instance's attributes: those of the
// configuration, and those known after apply from st (unknown without a
// record of an issued certificate).
func certificateObject(c *Certificate, st *state.State) cty.Value {
	str := func(s string) cty.Value {
		if s == "" {
			return cty.NullVal(cty.String)
		}
		return cty.StringVal(s)
	}
	hosts := cty.ListValEmpty(cty.String)
	if len(c.Request.Hosts) > 0 {
		var hv []cty.Value
		for _, h := range c.Request.Hosts {
			hv = append(hv, cty.StringVal(h))
		}
		hosts = cty.ListVal(hv)
	}
	attrs := map[string]cty.Value{
		"address": cty.StringVal(c.Addr), "common_name": cty.StringVal(c.Request.Subject.CommonName), "hosts": hosts,
		"signer_name": cty.StringVal(c.SignerName), "cert_file": str(c.Output.CertFile), "key_file": str(c.Output.KeyFile),
		"ca_file": str(c.Output.CAFile), "chain_file": str(c.Output.ChainFile), "csr_file": str(c.Output.CSRFile),
		"secret_namespace": cty.NullVal(cty.String), "secret_name": cty.NullVal(cty.String),
	}
	if s := c.Secret; s != nil {
		attrs["secret_namespace"], attrs["secret_name"] = cty.StringVal(s.Namespace), cty.StringVal(s.Name)
	}
	for _, name := range AppliedAttributes {
		attrs[name] = cty.UnknownVal(cty.String)
	}
	var rec *state.Certificate
	if st != nil {
		rec = st.Certificates[c.Addr]
	}
	if rec != nil && rec.SerialNumber != "" {
		attrs["serial_number"] = cty.StringVal(rec.SerialNumber)
		attrs["not_before"] = cty.StringVal(rec.NotBefore.UTC().Format(time.RFC3339))
		attrs["not_after"] = cty.StringVal(rec.NotAfter.UTC().Format(time.RFC3339))
		attrs["key_sha256"] = cty.StringVal(rec.KeySHA256)
		attrs["csr_name"] = str(rec.CSRName)
	}
	return cty.ObjectVal(attrs)
}

// localsUsingCertificates reports locals that use certificate attributes:
// locals are evaluated before certificates, and only outputs may use them.
func localsUsingCertificates(locals map[string]*local) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(locals)) {
		for _, tr := range locals[name].attr.Expr.Variables() {
			if tr.RootName() == "certificate" {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Local value uses certificate.NAME",
					Detail:  fmt.Sprintf("local.%s refers to certificate.…, but certificate attributes can only be used in output blocks. Refer to them there directly.", name),
					Subject: tr.SourceRange().Ptr()})
				break
			}
		}
	}
	return diags
}

// mustParse parses an address config built itself.
func mustParse(addr string) addrs.Addr {
	a, err := addrs.Parse(addr)
	if err != nil {
		panic(fmt.Sprintf("config built a malformed address: %v", err))
	}
	return a
}
