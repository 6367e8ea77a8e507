package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
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
		id := c.Secret.Namespace + "/" + c.Secret.Name
		if prev, dup := owner[id]; dup {
			diags = append(diags, attrError(c, "secret.name", "Secret used twice",
				fmt.Sprintf("%s also writes Secret %s (defined at %s); give each certificate its own Secret.", prev.Addr, id, prev.Range("secret.name"))))
			continue
		}
		owner[id] = c
	}
	for _, b := range cfg.CABundles {
		for _, t := range b.Targets {
			if t.Kind != TargetSecret {
				continue
			}
			for _, ns := range t.Namespaces {
				if c, dup := owner[ns+"/"+t.Name]; dup {
					diags = append(diags, attrError(c, "secret.name", "Secret used twice",
						fmt.Sprintf("%s also publishes to Secret %s/%s (defined at %s); give the certificate and the bundle different Secrets.", b.Addr, ns, t.Name, b.DeclRange)))
				}
			}
		}
	}
	return diags
}
