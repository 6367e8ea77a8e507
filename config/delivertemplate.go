package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/certform/certform/internal/formats"
)

// ExtraFile is one output file in a format besides PEM (output.pkcs12_file,
// output.jks_file, ...).
type ExtraFile struct {
	Kind formats.Kind
	Path string
}

// extraFileAttrs are the output attributes of the extra formats, in the
// order plans list them: each is the kind's name with _file.
var extraFileKinds = []formats.Kind{formats.KindPKCS12, formats.KindPKCS12Truststore, formats.KindJKS, formats.KindJKSTruststore,
	formats.KindCombinedPEM, formats.KindDERCert, formats.KindDERKey}

// ExtraFileKinds lists the kinds an output block can write besides PEM,
// in the order plans list them.
func ExtraFileKinds() []formats.Kind { return slices.Clone(extraFileKinds) }

func (o *rawOutput) extraFiles() []ExtraFile {
	paths := map[formats.Kind]string{
		formats.KindPKCS12: o.PKCS12File, formats.KindPKCS12Truststore: o.PKCS12TruststoreFile,
		formats.KindJKS: o.JKSFile, formats.KindJKSTruststore: o.JKSTruststoreFile,
		formats.KindCombinedPEM: o.CombinedPEMFile, formats.KindDERCert: o.DERFile, formats.KindDERKey: o.DERKeyFile,
	}
	var out []ExtraFile
	for _, k := range extraFileKinds {
		if paths[k] != "" {
			out = append(out, ExtraFile{Kind: k, Path: paths[k]})
		}
	}
	return out
}

// reservedMeta are the label and annotation key prefixes certform keeps
// for itself on the Secrets it writes.
var reservedMeta = []string{"certform.dev/", "app.kubernetes.io/managed-by"}

// fillSecretTemplate copies secret.formats, secret.labels and
// secret.annotations, checking them as the API server would.
func (c *Certificate) fillSecretTemplate(raw *rawSecret) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, f := range raw.Formats {
		if !slices.Contains(formats.Names, f) {
			diags = append(diags, attrError(c, "secret.formats", "Unknown Secret format",
				fmt.Sprintf("%q is not a format certform writes; use %s.", f, strings.Join(formats.Names, ", "))))
			continue
		}
		if !slices.Contains(c.Secret.Formats, f) {
			c.Secret.Formats = append(c.Secret.Formats, f)
		}
	}
	slices.Sort(c.Secret.Formats)
	c.Secret.Labels, c.Secret.Annotations = raw.Labels, raw.Annotations
	for _, k := range slices.Sorted(maps.Keys(raw.Labels)) {
		errs := append(validation.IsQualifiedName(k), validation.IsValidLabelValue(raw.Labels[k])...)
		diags = append(diags, c.checkMeta("secret.labels", "label", k, errs)...)
	}
	for _, k := range slices.Sorted(maps.Keys(raw.Annotations)) {
		diags = append(diags, c.checkMeta("secret.annotations", "annotation", k, validation.IsQualifiedName(strings.ToLower(k)))...)
	}
	return diags
}

func (c *Certificate) checkMeta(attr, what, key string, errs []string) hcl.Diagnostics {
	for _, p := range reservedMeta {
		if strings.HasPrefix(key, p) {
			return hcl.Diagnostics{attrError(c, attr, "Reserved "+what,
				fmt.Sprintf("%s %q is certform's own: it marks the Secret as certform's; choose another key.", what, key))}
		}
	}
	if len(errs) > 0 {
		return hcl.Diagnostics{attrError(c, attr, "Invalid "+what,
			fmt.Sprintf("%s %q: %s.", what, key, strings.Join(errs, "; ")))}
	}
	return nil
}

// fillOnChange copies the on_change block: restarts default to the
// Secret's namespace; a command needs files to announce.
func (c *Certificate) fillOnChange(raw *rawOnChange) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]bool{}
	for _, r := range raw.Restarts {
		rs := Restart{Kind: r.Kind, Namespace: r.Namespace, Name: r.Name}
		if rs.Namespace == "" && c.Secret != nil {
			rs.Namespace = c.Secret.Namespace
		}
		switch {
		case !slices.Contains(RestartKinds, rs.Kind):
			diags = append(diags, attrError(c, "on_change.restart.kind", "Unknown workload kind",
				fmt.Sprintf("%q cannot be restarted; use %s.", rs.Kind, strings.Join(RestartKinds, ", "))))
			continue
		case rs.Namespace == "":
			diags = append(diags, attrError(c, "on_change.restart.name", "Missing restart namespace",
				fmt.Sprintf("restart of %s %s has no namespace and the certificate has no secret block to take it from; set namespace.", rs.Kind, rs.Name)))
			continue
		case validation.IsDNS1123Label(rs.Namespace) != nil || validation.IsDNS1123Subdomain(rs.Name) != nil:
			diags = append(diags, attrError(c, "on_change.restart.name", "Invalid workload name",
				fmt.Sprintf("%s/%s is not a namespace and object name.", rs.Namespace, rs.Name)))
			continue
		case seen[rs.ID()]:
			diags = append(diags, attrError(c, "on_change.restart.name", "Restart listed twice",
				fmt.Sprintf("%s %s/%s is restarted once; remove the second block.", rs.Kind, rs.Namespace, rs.Name)))
			continue
		}
		seen[rs.ID()] = true
		c.OnChange.Restarts = append(c.OnChange.Restarts, rs)
	}
	if raw.Command != nil {
		switch {
		case len(raw.Command) == 0 || raw.Command[0] == "":
			diags = append(diags, attrError(c, "on_change.command", "Empty command",
				`on_change.command is the program and its arguments, e.g. ["systemctl", "reload", "haproxy"].`))
		case !c.HasFiles():
			diags = append(diags, attrError(c, "on_change.command", "Command without files",
				"on_change.command runs on this machine after the output files changed; add an output block, or restart a workload with a restart block."))
		default:
			c.OnChange.Command = raw.Command
		}
	}
	return diags
}
