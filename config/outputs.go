package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	localbackend "github.com/certform/certform/state/backend/local"
)

// DataDir is the directory of certform's own files beside the
// configuration (the pending keys among them); no output may be inside it.
const DataDir = ".certform"

// StateFileSuffixes are the files the local backend keeps beside its state
// file: the previous version, the journal of a running apply, the lock.
var StateFileSuffixes = []string{"", ".backup", ".journal", ".lock"}

// outputAttrs are the output attributes that name files, in the order
// plan.Outputs lists them.
var outputAttrs = append([]string{"key_file", "cert_file", "ca_file", "csr_file", "chain_file"}, extraFileAttrs()...)

func extraFileAttrs() []string {
	var out []string
	for _, k := range extraFileKinds {
		out = append(out, string(k)+"_file")
	}
	return out
}

// OutputPaths returns c's configured output files by attribute name
// ("output.key_file"), leaving out those not set.
func (c *Certificate) OutputPaths() map[string]string {
	o := c.Output
	paths := map[string]string{}
	for i, p := range []string{o.KeyFile, o.CertFile, o.CAFile, o.CSRFile, o.ChainFile} {
		if p != "" {
			paths["output."+outputAttrs[i]] = p
		}
	}
	for _, f := range o.Extra {
		paths["output."+string(f.Kind)+"_file"] = f.Path
	}
	return paths
}

// OwnFiles lists certform's own files for cfg, relative to the
// configuration directory: the local state file and the files beside it
// (none with the kubernetes backend), and DataDir.
func (cfg *Config) OwnFiles() []string {
	own := []string{DataDir}
	if b := cfg.Backend; b == nil || b.Type == "local" {
		path := localbackend.DefaultPath
		if b != nil && b.Path != "" {
			path = b.Path
		}
		for _, suffix := range StateFileSuffixes {
			own = append(own, path+suffix)
		}
	}
	return own
}

// validateOutputs reports output paths that name one file twice, within a
// certificate or across certificates, however the path is spelled
// (out/./a.key, an absolute path), and outputs that name certform's own
// files. Paths that reach one file through symbolic links or other
// mounts are found by apply and plan, which look at the filesystem.
func validateOutputs(cfg *Config, dir string) hcl.Diagnostics {
	type use struct {
		c    *Certificate
		attr string
	}
	var diags hcl.Diagnostics
	dir = cfg.Dir.Abs(dir)     // once: each absUnder of a relative path asks for the working directory
	own := map[string]string{} // absolute path → own file, as named
	for _, p := range cfg.OwnFiles() {
		own[absUnder(dir, p)] = p
	}
	ownDir := absUnder(dir, DataDir)
	owner := map[string]use{}
	for _, c := range cfg.Certificates {
		paths := c.OutputPaths()
		for _, name := range outputAttrs {
			attr := "output." + name
			p, set := paths[attr]
			if !set {
				continue
			}
			abs := absUnder(dir, p)
			if f, isOwn := own[abs]; isOwn || strings.HasPrefix(abs, ownDir+string(filepath.Separator)) {
				if !isOwn {
					f = DataDir
				}
				diags = append(diags, attrError(c, attr, "Output is certform's own file",
					fmt.Sprintf("%s %q is %s, which certform keeps for itself%s; write the output somewhere else.", name, p, f, backendAt(cfg))))
				continue
			}
			prev, dup := owner[abs]
			switch {
			case !dup:
				owner[abs] = use{c, attr}
			case prev.c == c:
				diags = append(diags, attrError(c, attr, "Output paths collide",
					fmt.Sprintf("%s %q and %s (at %s) name the same file; give each its own path.", name, p, prev.attr, c.Range(prev.attr))))
			default:
				diags = append(diags, attrError(c, attr, "Output path used twice",
					fmt.Sprintf("%s also writes %s as its %s (defined at %s); give each certificate its own files.", prev.c.Addr, p, prev.attr, prev.c.Range(prev.attr))))
			}
		}
	}
	return diags
}

// backendAt names the backend block, when there is one, for a diagnostic.
func backendAt(cfg *Config) string {
	if cfg.Backend == nil {
		return ""
	}
	return fmt.Sprintf(" (backend at %s)", cfg.Backend.DeclRange)
}

// absUnder is p as a cleaned absolute path, relative paths taken from dir.
func absUnder(dir, p string) string {
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}
