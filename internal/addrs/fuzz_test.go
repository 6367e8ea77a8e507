package addrs

import "testing"

// FuzzParse feeds Parse and ParseModule arbitrary text (addresses come
// from the command line and from state files). They must never panic, and
// what they accept must spell back to the same text and parse again to
// the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"certificate.web", `certificate.pod["a.b"]`, "ca_bundle.ca", `module.web["a"].module.db.certificate.x["k"]`,
		`module.web["a.\"b"].certificate.tls`, "module.web", `module.web["\x61"]`, "module..certificate.x", `module.a["]"].ca_bundle.b`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := Parse(s); err == nil {
			if a.String() != s {
				t.Fatalf("Parse(%q).String() = %q", s, a.String())
			}
			if again, err := Parse(a.String()); err != nil || again != a {
				t.Fatalf("re-parse of %q: %+v, %v", s, again, err)
			}
			_ = a.Module.Steps()
		}
		if m, err := ParseModule(s); err == nil {
			if m.String() != s {
				t.Fatalf("ParseModule(%q).String() = %q", s, m.String())
			}
			_ = m.Steps()
		}
	})
}
