package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/addrs"
	"github.com/certform/certform/state"
)

// Addr is a parsed address: certificate.NAME, certificate.NAME["KEY"] (a
// for_each instance), ca_bundle.NAME or ca_bundle.NAME["KEY"], each
// optionally inside a module path (module.web["a"].certificate.tls). It is
// addrs.Addr, where addresses are spelled.
type Addr = addrs.Addr

// ParseAddr parses an address; the error says what a valid one looks like.
func ParseAddr(s string) (Addr, error) { return addrs.Parse(s) }

// CheckOptions refuses --target and --replace addresses that are malformed
// or name nothing, so a typo in an emergency rotation is an error rather
// than a plan that rotates nothing. A target may name a block (all its
// instances) or an instance in the configuration or in state; a replace
// must name a configured certificate instance: for a for_each block the
// error lists its instances, as Terraform does, rather than rotating more
// keys than were named.
func CheckOptions(desired *config.Config, prior *state.State, opts Options) error {
	known := map[string]bool{}
	blocks := map[string][]string{} // block address -> its instance addresses
	add := func(addr string) {
		known[addr] = true
		if a, err := ParseAddr(addr); err == nil && a.HasKey {
			blocks[a.Block()] = append(blocks[a.Block()], addr)
		}
	}
	configured := map[string]bool{}
	for _, c := range desired.Certificates {
		add(c.Addr)
		configured[c.Addr] = true
	}
	for _, addr := range prior.Addrs() {
		add(addr)
	}
	candidates := func() []string {
		var all []string
		for addr := range known {
			all = append(all, addr)
		}
		for b := range blocks {
			all = append(all, b)
		}
		slices.Sort(all)
		return all
	}
	unknown := func(flag, addr, what string) error {
		msg := fmt.Sprintf("%s %s: no %s has this address", flag, addr, what)
		if s := config.Suggest(addr, candidates()); s != "" {
			msg += fmt.Sprintf("; did you mean %s?", s)
		}
		return fmt.Errorf("%s", msg)
	}
	for _, t := range opts.Targets {
		if _, err := addrs.ParseModule(t); err == nil {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(known)), func(addr string) bool { return targeted(addr, []string{t}) }) {
				return fmt.Errorf("--target %s: no certificate in the configuration or state is in this module", t)
			}
			continue
		}
		a, err := ParseAddr(t)
		if err != nil {
			return fmt.Errorf("--target: %w", err)
		}
		if a.Kind == "ca_bundle" {
			return fmt.Errorf("--target %s: only certificates can be targeted; CA bundles are planned when no --target is given", t)
		}
		if !known[t] && blocks[t] == nil {
			return unknown("--target", t, "certificate in the configuration or state")
		}
	}
	for _, r := range opts.Replace {
		a, err := ParseAddr(r)
		if err != nil {
			return fmt.Errorf("--replace: %w", err)
		}
		switch instances := blocks[r]; {
		case a.Kind == "ca_bundle":
			return fmt.Errorf("--replace %s: only certificates can be replaced", r)
		case configured[r]:
		case len(instances) > 0 && !known[r]:
			slices.Sort(instances)
			return fmt.Errorf("--replace %s names a block with for_each; name each instance to replace: %s", r, list(instances, 5))
		case known[r]:
			return fmt.Errorf("--replace %s: the certificate is no longer in the configuration; there is nothing to reissue", r)
		default:
			return unknown("--replace", r, "certificate in the configuration")
		}
	}
	return nil
}

// list joins up to n items, saying how many more there are.
func list(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
