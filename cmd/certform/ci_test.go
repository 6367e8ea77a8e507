package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestMarkdownAndJSONEvents: plan --format=markdown renders a table for
// pull requests and the full plan in a <details> block; apply --json streams one JSON object per line.
func TestMarkdownAndJSONEvents(t *testing.T) {
	c := sharedCluster(t)
	dir := writeConfig(t, clientCert("md", true))
	r := certform(t, dir, c.AdminKubeconfig, "plan", "--format=markdown", "--out", "tfplan")
	mustContain(t, r, "### certform plan", "**Plan: 1 to issue", "| issue | `certificate.md` | not yet issued |")
	// The saved plan shows what plan showed: the table, then the full plan
	// with the outputs and where the key goes.
	mustContain(t, certform(t, dir, c.AdminKubeconfig, "show", "--markdown", "tfplan"), "| issue | `certificate.md` |",
		"<details><summary>Full plan</summary>", `+ output.key_file      = "md.key" (mode 0600)`, "+ self_approve         = true",
		"+ private_key          = (sensitive value) # written to file md.key (mode 0600)")
	if r := certform(t, dir, c.AdminKubeconfig, "apply", "--json"); r.code != exitError || !strings.Contains(r.stderr, "cannot ask for confirmation") {
		t.Errorf("apply --json without --auto-approve must refuse\n%s", r)
	}
	r = certform(t, dir, c.AdminKubeconfig, "apply", "--json", "tfplan")
	if r.code != exitOK {
		t.Fatalf("apply --json tfplan\n%s", r)
	}
	var types []string
	var phases []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", line)
		}
		types = append(types, ev["type"].(string))
		if ev["type"] == "progress" {
			phases = append(phases, ev["phase"].(string))
		}
		if ev["type"] == "result" && (ev["outcome"] != "complete" || ev["issued"] != float64(1)) {
			t.Errorf("result event %v", ev)
		}
	}
	if types[0] != "plan" || types[len(types)-1] != "result" || !strings.Contains(strings.Join(phases, ","), "issued") {
		t.Errorf("event types %v, phases %v", types, phases)
	}
	mustContain(t, certform(t, dir, c.AdminKubeconfig, "plan", "--format=markdown"), "**No changes.**")
}
