package plan

import (
	"strings"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

func TestParseAddr(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    Addr
		wantErr string
	}{
		"certificate":        {in: "certificate.web", want: Addr{Kind: "certificate", Name: "web"}},
		"instance":           {in: `certificate.pod["a.b"]`, want: Addr{Kind: "certificate", Name: "pod", Key: "a.b", HasKey: true}},
		"bundle":             {in: "ca_bundle.ca", want: Addr{Kind: "ca_bundle", Name: "ca"}},
		"unknown kind":       {in: "cert.web", wantErr: "must start with certificate."},
		"no dot":             {in: "web", wantErr: "must start with certificate."},
		"unquoted key":       {in: "certificate.pod[a]", wantErr: "must be a quoted string"},
		"unterminated key":   {in: `certificate.pod["a"`, wantErr: "must end with ]"},
		"bad name":           {in: "certificate.we b", wantErr: "is not a block name"},
		"empty name":         {in: "certificate.", wantErr: "is not a block name"},
		"single-quoted key":  {in: "certificate.pod['a']", wantErr: "quoted string"},
		"trailing garbage":   {in: `certificate.pod["a"]x`, wantErr: "must end with ]"},
		"key with backslash": {in: `certificate.pod["a\x41"]`, wantErr: "double-quoted string"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseAddr(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

// TestCheckOptions: --target and --replace with a typo, a malformed
// address, or a block address where instances are needed are errors (they
// were silently ignored: an emergency rotation with a typo rotated nothing).
func TestCheckOptions(t *testing.T) {
	desired := &config.Config{Certificates: []*config.Certificate{
		{Addr: "certificate.web"}, {Addr: `certificate.pod["a"]`}, {Addr: `certificate.pod["b"]`},
		{Addr: `module.team["a"].certificate.tls`}, {Addr: `module.team["b"].certificate.tls`},
	}}
	prior := state.New()
	prior.Certificates["certificate.old"] = &state.Certificate{Addr: "certificate.old"}
	tests := map[string]struct {
		opts    Options
		wantErr string
	}{
		"target instance":          {opts: Options{Targets: []string{`certificate.pod["a"]`}}},
		"target block":             {opts: Options{Targets: []string{"certificate.pod"}}},
		"target in state only":     {opts: Options{Targets: []string{"certificate.old"}}},
		"replace":                  {opts: Options{Replace: []string{"certificate.web", `certificate.pod["b"]`}}},
		"target typo":              {opts: Options{Targets: []string{"certificate.wbe"}}, wantErr: "--target certificate.wbe: no certificate in the configuration or state has this address; did you mean certificate.web?"},
		"replace typo":             {opts: Options{Replace: []string{"certificate.webb"}}, wantErr: "did you mean certificate.web?"},
		"replace unknown":          {opts: Options{Replace: []string{"certificate.zzzzzzzz"}}, wantErr: "--replace certificate.zzzzzzzz: no certificate in the configuration has this address"},
		"replace malformed":        {opts: Options{Replace: []string{"certificate.pod[a]"}}, wantErr: "--replace: malformed address"},
		"target malformed":         {opts: Options{Targets: []string{"web"}}, wantErr: "--target: malformed address"},
		"replace for_each block":   {opts: Options{Replace: []string{"certificate.pod"}}, wantErr: `names a block with for_each; name each instance to replace: certificate.pod["a"], certificate.pod["b"]`},
		"replace unknown instance": {opts: Options{Replace: []string{`certificate.pod["c"]`}}, wantErr: "no certificate in the configuration"},
		"replace removed":          {opts: Options{Replace: []string{"certificate.old"}}, wantErr: "no longer in the configuration"},
		"target bundle":            {opts: Options{Targets: []string{"ca_bundle.x"}}, wantErr: "only certificates can be targeted"},
		"target module":            {opts: Options{Targets: []string{"module.team"}}},
		"target module instance":   {opts: Options{Targets: []string{`module.team["a"]`}}},
		"target in module":         {opts: Options{Targets: []string{`module.team["a"].certificate.tls`}}},
		"target empty module":      {opts: Options{Targets: []string{`module.team["c"]`}}, wantErr: "no certificate in the configuration or state is in this module"},
		"replace in module":        {opts: Options{Replace: []string{`module.team["b"].certificate.tls`}}},
		"replace module block":     {opts: Options{Replace: []string{`module.team.certificate.tls`}}, wantErr: "no certificate in the configuration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckOptions(desired, prior, tc.opts)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestTargeted: a target selects its address, the instances of a block,
// and everything in a module (all instances when the target has no key).
func TestTargeted(t *testing.T) {
	tests := map[string]struct {
		addr, target string
		want         bool
	}{
		"same":                   {addr: "certificate.web", target: "certificate.web", want: true},
		"instance of block":      {addr: `certificate.pod["a"]`, target: "certificate.pod", want: true},
		"prefix is not a block":  {addr: "certificate.webs", target: "certificate.web"},
		"module":                 {addr: "module.web.certificate.tls", target: "module.web", want: true},
		"every module instance":  {addr: `module.web["a"].certificate.tls`, target: "module.web", want: true},
		"one module instance":    {addr: `module.web["a"].certificate.tls`, target: `module.web["a"]`, want: true},
		"other module instance":  {addr: `module.web["b"].certificate.tls`, target: `module.web["a"]`},
		"nested":                 {addr: `module.web["a"].module.db.certificate.x`, target: "module.web", want: true},
		"block in module":        {addr: `module.web["a"].certificate.tls["x"]`, target: `module.web["a"].certificate.tls`, want: true},
		"root block, not module": {addr: "module.web.certificate.tls", target: "certificate.tls"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := targeted(tc.addr, []string{tc.target}); got != tc.want {
				t.Fatalf("targeted(%s, %s) = %v, want %v", tc.addr, tc.target, got, tc.want)
			}
		})
	}
}
