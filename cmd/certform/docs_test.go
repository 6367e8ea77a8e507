package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docExample is a fenced block of a document that a comment line
// <!-- example: NAME --> introduces.
func docExample(t *testing.T, doc []byte, name string) string {
	t.Helper()
	marker := "<!-- example: " + name + " -->\n```"
	_, rest, ok := strings.Cut(string(doc), marker)
	if !ok {
		t.Fatalf("no example %q", name)
	}
	_, rest, _ = strings.Cut(rest, "\n") // the fence's info string
	body, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("example %q is not closed", name)
	}
	return body
}

// docStep is one "$ certform ..." line of a session and the output lines
// documented under it.
type docStep struct {
	args  []string
	lines []string
}

func docSession(body string) []docStep {
	var steps []docStep
	for _, line := range strings.Split(body, "\n") {
		if cmd, ok := strings.CutPrefix(line, "$ certform "); ok {
			steps = append(steps, docStep{args: strings.Fields(cmd)})
		} else if strings.TrimSpace(line) != "" && len(steps) > 0 {
			steps[len(steps)-1].lines = append(steps[len(steps)-1].lines, line)
		}
	}
	return steps
}

// docLine turns a documented output line into a pattern for a whole line:
// "…" stands for anything and a run of spaces for any run of spaces, as
// table columns are as wide as their content.
func docLine(line string) *regexp.Regexp {
	var b strings.Builder
	for i, part := range strings.Split(strings.TrimSpace(line), "…") {
		if i > 0 {
			b.WriteString(".*")
		}
		words := strings.Fields(part)
		for j, w := range words {
			if j > 0 {
				b.WriteString(`\s+`)
			}
			b.WriteString(regexp.QuoteMeta(w))
		}
		if strings.HasSuffix(part, " ") && len(words) > 0 {
			b.WriteString(`\s+`)
		}
	}
	return regexp.MustCompile(`^\s*` + b.String() + `\s*$`)
}

// TestDocumentedSession runs the example session of docs/commands.md
// against the real cluster: each command must succeed and print every
// line documented under it, in that order.
func TestDocumentedSession(t *testing.T) {
	c := sharedCluster(t)
	ensureNamespaces(t, c.AdminKubeconfig, "my-namespace")
	doc, err := os.ReadFile("../../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(docExample(t, doc, "main.hcl")), 0o644); err != nil {
		t.Fatal(err)
	}
	steps := docSession(docExample(t, doc, "session"))
	if len(steps) < 5 {
		t.Fatalf("the session has %d commands", len(steps))
	}
	for _, step := range steps {
		r := certform(t, dir, c.AdminKubeconfig, step.args...)
		if r.code != exitOK {
			t.Fatalf("certform %s: exit %d\n%s", strings.Join(step.args, " "), r.code, r)
		}
		got := strings.Split(r.stdout+r.stderr, "\n")
		at := 0
		for _, want := range step.lines {
			re := docLine(want)
			for at < len(got) && !re.MatchString(got[at]) {
				at++
			}
			if at == len(got) {
				t.Errorf("certform %s does not print, at this place, the documented line\n  %s\n%s", strings.Join(step.args, " "), want, r)
				break
			}
			at++
		}
	}
}
