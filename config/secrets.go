package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"k8s.io/apimachinery/pkg/util/validation"
)

// validateSecrets reports two certificates that write one Secret, and a
// certificate's Secret that a ca_bundle also publishes to: each would
// overwrite the other's key and certificate on every apply. Module
// instances count like any other certificate, so a module called twice
// with the same name argument is caught here.
func validateSecrets(cfg *Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	owner := map[string]*Certificate{}
	for _, c := range cfg.Certificates {
		if c.Secret == nil {
			continue
		}
		if d := checkSecretNames(c); len(d) > 0 {
			diags = append(diags, d...)
			continue
		}
		id := c.Secret.Namespace + "/" + c.Secret.Name
		if prev, dup := owner[c.Cluster+":"+id]; dup {
			diags = append(diags, attrError(c, "secret.name", "Secret used twice",
				fmt.Sprintf("%s also writes Secret %s (defined at %s); give each certificate its own Secret.", prev.Addr, id, prev.Range("secret.name"))))
			continue
		}
		owner[c.Cluster+":"+id] = c // one name in two clusters is two Secrets
	}
	for _, b := range cfg.CABundles {
		for _, t := range b.Targets {
			if t.Kind != TargetSecret {
				continue
			}
			for _, ns := range t.Namespaces {
				if c, dup := owner[b.Cluster+":"+ns+"/"+t.Name]; dup {
					diags = append(diags, attrError(c, "secret.name", "Secret used twice",
						fmt.Sprintf("%s also publishes to Secret %s/%s (defined at %s); give the certificate and the bundle different Secrets.", b.Addr, ns, t.Name, b.DeclRange)))
				}
			}
		}
	}
	return diags
}

// checkSecretNames reports a Secret name that is not a DNS subdomain or a
// namespace that is not a DNS label, as the API server would at apply:
// names built from variables (a module's "${var.name}-tls") are caught
// before anything is submitted.
func checkSecretNames(c *Certificate) hcl.Diagnostics {
	var diags hcl.Diagnostics
	if errs := validation.IsDNS1123Label(c.Secret.Namespace); len(errs) > 0 {
		diags = append(diags, attrError(c, "secret.namespace", "Invalid namespace",
			fmt.Sprintf("%q is not a namespace name: %s.", c.Secret.Namespace, strings.Join(errs, "; "))))
	}
	if errs := validation.IsDNS1123Subdomain(c.Secret.Name); len(errs) > 0 {
		diags = append(diags, attrError(c, "secret.name", "Invalid Secret name",
			fmt.Sprintf("%q is not a Secret name: %s.", c.Secret.Name, strings.Join(errs, "; "))))
	}
	return diags
}
