package apply

import (
	"strings"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// TestCSRName: derived CSR names read as the address without its kinds,
// module path included, stay valid object names however long the address
// is, and are the same as before modules for addresses outside modules (a
// resumed run must find the CSR it submitted).
func TestCSRName(t *testing.T) {
	const fp = "0a433a08cf21ffffffffffffffffffffffffffffffffffffffffffffffffffff"
	tests := map[string]struct {
		addr  string
		prior *state.Certificate
		want  string
	}{
		"root":                   {addr: "certificate.my-svc", want: "my-svc-0a433a08cf21"},
		"root instance":          {addr: `certificate.pod["a.b"]`, want: "pod-a.b-0a433a08cf21"},
		"module":                 {addr: "module.web.certificate.tls", want: "web.tls-0a433a08cf21"},
		"module instance":        {addr: `module.team["team-a"].certificate.tls`, want: "team-team-a.tls-0a433a08cf21"},
		"nested with keys":       {addr: `module.a["X"].module.b.certificate.c["k"]`, want: "a-x.b.c-k-0a433a08cf21"},
		"reused key, generation": {addr: "module.web.certificate.tls", prior: &state.Certificate{CSRName: "web.tls-0a433a08cf21"}, want: "web.tls-0a433a08cf21-2"},
		"long":                   {addr: "module." + strings.Repeat("m", 120) + ".module." + strings.Repeat("n", 120) + ".certificate.tls"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := CSRName(&config.Certificate{Addr: tc.addr}, fp, tc.prior)
			if tc.want != "" && got != tc.want {
				t.Errorf("CSRName(%s) = %q, want %q", tc.addr, got, tc.want)
			}
			if len(got) > 253 || strings.Trim(got, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "" {
				t.Errorf("CSRName(%s) = %q is not a valid object name", tc.addr, got)
			}
		})
	}
}
