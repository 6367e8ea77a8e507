package plan

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// TestDecideAllMatchesOneByOne: a configuration large enough to be decided
// on several goroutines gets the decisions, in order, that deciding each
// address alone gives: creations, replacements, renewals and no-ops mixed.
func TestDecideAllMatchesOneByOne(t *testing.T) {
	const n = 4 * decideShare
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("%q = %d", fmt.Sprintf("s%04d", i), i))
	}
	src := `certificate "svc" {
  for_each    = {` + strings.Join(names, ", ") + `}
  common_name = "${each.key}.example"
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
`
	cfg, diags := config.LoadSource([]byte(src), "main.hcl", t.TempDir(), config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	now := time.Now().UTC()
	var inputs []input
	for i, c := range cfg.Certificates {
		var rec *state.Certificate
		if i%4 != 0 { // every fourth is new
			rec = &state.Certificate{Addr: c.Addr, Status: state.StatusIssued, Request: RequestOf(c), KeySHA256: "k",
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Duration(i%3) * 200 * 24 * time.Hour)}
			if i%5 == 0 {
				rec.Request.CommonName = "before.example" // replaced
			}
		}
		inputs = append(inputs, input{desired: c, prior: rec, now: now, caContent: map[string][]byte{}, forceReplace: i%7 == 0})
	}
	got := decideAll(inputs)
	actions := map[Action]int{}
	for i, in := range inputs {
		want := decide(in)
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("%s: decided together %+v, alone %+v", in.desired.Addr, got[i], want)
		}
		actions[want.Action]++
	}
	if len(actions) < 3 {
		t.Fatalf("the case mixes too little: %v", actions)
	}
}
