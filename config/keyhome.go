package config

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// warnFilesOnlyShared warns about certificates whose key lives only in
// files while state is shared by the kubernetes backend: every runner that
// shares the state but not the files (a fresh CI runner, another checkout)
// can only issue a new key, replacing the one on the machine that wrote it.
// One warning per certificate block, not per for_each instance.
func warnFilesOnlyShared(cfg *Config) hcl.Diagnostics {
	if cfg.Backend == nil || cfg.Backend.Type != "kubernetes" {
		return nil
	}
	var diags hcl.Diagnostics
	seen := map[hcl.Range]bool{}
	for _, c := range cfg.Certificates {
		if c.Secret != nil || seen[c.DeclRange] {
			continue
		}
		seen[c.DeclRange] = true
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagWarning,
			Summary:  "Private key kept only in local files with a shared backend",
			Detail: fmt.Sprintf("certificate %q keeps its private key only in files on the machine that runs apply, but state is shared "+
				"through the kubernetes backend (%s/%s): a runner that shares the state but not the files (a fresh CI runner, another checkout) "+
				"can only issue a new key, replacing this one. Add a secret block, e.g. secret { namespace = \"%s\"  name = \"%s-tls\" }: "+
				"the Secret is then the key's home, and each runner writes its files from it.",
				c.Name, cfg.Backend.Namespace, cfg.Backend.Name, cfg.Backend.Namespace, c.Name),
			Subject: c.DeclRange.Ptr(),
		})
	}
	return diags
}
