package plan

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// savedJSON is a well-formed saved plan for certificate.web; cases edit it.
func savedJSON(t *testing.T, edit func(f *fileV2)) []byte {
	t.Helper()
	req := state.Request{CommonName: "web.example", SignerName: "example.com/s", KeyAlgorithm: "ecdsa", KeySize: 256, KeyEncoding: "pkcs8"}
	after := encodeRequest(req)
	f := fileV2{FormatVersion: FileFormatVersion, Lineage: "l", Changes: []*changeV1{
		{Addr: "certificate.web", Action: string(Create), After: &after},
	}}
	if edit != nil {
		edit(&f)
	}
	data, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func wireRequest(r state.Request) *requestV1 {
	w := encodeRequest(r)
	return &w
}

// TestDecodeFileRefusesMalformed: a tampered saved plan is refused whole
// when read, before show renders or apply acts on any of it (a create
// without "after" panicked mid-apply).
func TestDecodeFileRefusesMalformed(t *testing.T) {
	tests := map[string]struct {
		edit    func(f *fileV2)
		wantErr string
	}{
		"well-formed":          {},
		"create without after": {edit: func(f *fileV2) { f.Changes[0].After = nil }, wantErr: "create of certificate.web without the request"},
		"wait without after":   {edit: func(f *fileV2) { f.Changes[0].After, f.Changes[0].Action = nil, string(Wait) }, wantErr: "wait of certificate.web without"},
		"malformed address":    {edit: func(f *fileV2) { f.Changes[0].Addr = "certificate.web[x" }, wantErr: "not a certificate address"},
		"bundle address":       {edit: func(f *fileV2) { f.Changes[0].Addr = "ca_bundle.web" }, wantErr: "not a certificate address"},
		"duplicate":            {edit: func(f *fileV2) { f.Changes = append(f.Changes, f.Changes[0]) }, wantErr: "two changes for certificate.web"},
		"unknown action":       {edit: func(f *fileV2) { f.Changes[0].Action = "explode" }, wantErr: `unknown action "explode"`},
		"nil bundle":           {edit: func(f *fileV2) { f.Bundles = []*bundleV2{nil} }, wantErr: "empty CA bundle change"},
		"bundle bad target": {edit: func(f *fileV2) {
			f.Bundles = []*bundleV2{{Addr: "ca_bundle.ca", Action: string(Create), Targets: []*targetV2{{Kind: "pod", Name: "x", Namespace: "y", Action: string(Create)}}}}
		}, wantErr: "malformed target for ca_bundle.ca"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeFile(savedJSON(t, tc.edit))
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

// TestSavedCheck: a plan that decodes but does not fit the configuration
// (an address it does not have, a request it does not make) is stale.
func TestSavedCheck(t *testing.T) {
	cfg, diags := config.LoadSource([]byte(`
certificate "web" {
  common_name = "web.example"
  signer_name = "example.com/s"
  output {
    key_file  = "web.key"
    cert_file = "web.crt"
  }
}`), "main.hcl", t.TempDir(), config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	want := RequestOf(cfg.Certificates[0])
	tests := map[string]struct {
		edit    func(f *fileV2)
		wantErr string
	}{
		"fits": {edit: func(f *fileV2) { f.Changes[0].After = wireRequest(want) }},
		"unknown address": {edit: func(f *fileV2) {
			f.Changes[0].After, f.Changes[0].Addr = wireRequest(want), "certificate.other"
		}, wantErr: "create certificate.other, which is not in the configuration"},
		"other request": {edit: func(f *fileV2) {
			other := want
			other.Hosts = []string{"evil.example"}
			f.Changes[0].After = wireRequest(other)
		}, wantErr: "its request for certificate.web differs from the configuration"},
		"unknown bundle": {edit: func(f *fileV2) {
			f.Changes[0].After = wireRequest(want)
			f.Bundles = []*bundleV2{{Addr: "ca_bundle.ca", Action: string(Create)}}
		}, wantErr: "publish ca_bundle.ca, which is not in the configuration"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			saved, err := DecodeFile(savedJSON(t, tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			if err := saved.Bind(state.New()); err != nil {
				t.Fatal(err)
			}
			err = saved.Check(cfg)
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

// FuzzDecodeFile feeds the saved-plan reader arbitrary bytes: it must never
// panic, whatever it accepts is well-formed (every issuing change carries
// its request), and it re-encodes to a plan it reads back alike.
// Seeds are in testdata/fuzz/FuzzDecodeFile.
func FuzzDecodeFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		saved, err := DecodeFile(data)
		if err != nil {
			return
		}
		for _, c := range saved.Plan.Changes {
			if c.Action != NoOp && c.Action != Delete && c.After == nil {
				t.Fatalf("accepted %s of %s without a request", c.Action, c.Addr)
			}
		}
		saved.Bind(state.New())
		out, err := EncodeFile(saved)
		if err != nil {
			t.Fatalf("EncodeFile of a decoded plan failed: %v", err)
		}
		again, err := DecodeFile(out)
		if err != nil {
			t.Fatalf("re-decoding failed: %v\n%s", err, out)
		}
		out2, _ := EncodeFile(again)
		if string(out) != string(out2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, out2)
		}
	})
}
