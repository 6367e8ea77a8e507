package main

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// TestStatusTable: days left never reads 0.0 or -0.0, a certificate with
// no files yet is not "ok", and due or expired ones are coloured.
func TestStatusTable(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { v := now.Add(d); return &v }
	st := &state.State{Certificates: map[string]*state.Certificate{
		"certificate.new": {Addr: "certificate.new", Status: state.StatusPending, CSRName: "new-1"},
	}}
	pending, err := statusEntries(&workspace{cfg: &config.Config{}}, st, now)
	if err != nil {
		t.Fatal(err)
	}
	entries := append(pending,
		StatusEntry{Address: "certificate.gone", Status: "expired", NotAfter: at(-time.Minute), Files: "ok"},
		StatusEntry{Address: "certificate.soon", Status: "renewal-due", NotAfter: at(5*time.Hour + 30*time.Minute), Files: "ok"},
		StatusEntry{Address: "certificate.now", Status: "renewal-due", NotAfter: at(20 * time.Minute), Files: "ok"},
		StatusEntry{Address: "certificate.fine", Status: "issued", NotAfter: at(36 * time.Hour), Files: "ok"},
	)
	cases := map[string]struct {
		col  views.Colorizer
		want string
	}{
		"plain": {views.Colorizer{}, `ADDRESS           STATUS       NOT AFTER             DAYS LEFT  RENEW AT  CSR    FILES
certificate.new   pending      -                     -          -         new-1  none yet
certificate.gone  expired      2026-05-31T23:59:00Z  expired    -                ok
certificate.soon  renewal-due  2026-06-01T05:30:00Z  5h         -                ok
certificate.now   renewal-due  2026-06-01T00:20:00Z  <1h        -                ok
certificate.fine  issued       2026-06-02T12:00:00Z  1.5        -                ok
`},
		"colour": {views.Colorizer{Enabled: true}, "ADDRESS           STATUS       NOT AFTER             DAYS LEFT  RENEW AT  CSR    FILES\n" +
			"certificate.new   pending      -                     -          -         new-1  none yet\n" +
			"certificate.gone  \x1b[31mexpired\x1b[0m      2026-05-31T23:59:00Z  expired    -                ok\n" +
			"certificate.soon  \x1b[33mrenewal-due\x1b[0m  2026-06-01T05:30:00Z  5h         -                ok\n" +
			"certificate.now   \x1b[33mrenewal-due\x1b[0m  2026-06-01T00:20:00Z  <1h        -                ok\n" +
			"certificate.fine  issued       2026-06-02T12:00:00Z  1.5        -                ok\n"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			renderStatus(&out, entries, now, tc.col)
			if diff := cmp.Diff(tc.want, out.String()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestStatusJSONHostsNeverNull: a certificate without hosts has
// "hosts": [], as a JSON consumer iterating over it expects.
func TestStatusJSONHostsNeverNull(t *testing.T) {
	st := &state.State{Certificates: map[string]*state.Certificate{
		"certificate.client": {Addr: "certificate.client", Status: state.StatusIssued},
	}}
	entries, err := statusEntries(&workspace{cfg: &config.Config{}}, st, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(entries[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"hosts":[]`)) {
		t.Errorf("want \"hosts\":[], got %s", data)
	}
}
