package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: staging
  context: {cluster: c, user: u}
- name: prod
  context: {cluster: c, user: u}
current-context: %s
`

// TestKubeconfigErrors: what a kubeconfig that cannot be used says; never
// client-go's KUBERNETES_MASTER, which certform does not read.
func TestKubeconfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, current string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Replace(twoContexts, "%s", current, 1)), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, badCurrent := write("good", "prod"), write("bad-current", "gone")
	cases := map[string]struct {
		env   string
		opts  Options
		wants []string
	}{
		"no kubeconfig anywhere": {env: filepath.Join(dir, "nothing-here"), wants: []string{
			"no kubeconfig found: $KUBECONFIG (" + filepath.Join(dir, "nothing-here") + ") names no file that exists, and certform is not running in a cluster"}},
		"--kubeconfig missing": {opts: Options{Kubeconfig: filepath.Join(dir, "typo")}, wants: []string{
			"kubeconfig " + filepath.Join(dir, "typo") + " does not exist"}},
		"unknown --context": {opts: Options{Kubeconfig: good, Context: "prd"}, wants: []string{
			`kubeconfig ` + good + ` has no context "prd" (the context); it has prod, staging`}},
		"unknown current-context": {env: badCurrent, wants: []string{
			`kubeconfig ` + badCurrent + ` has no context "gone" (the current-context); it has prod, staging`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tc.env)
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			_, err := RESTConfig(tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(err.Error(), "KUBERNETES_MASTER") {
				t.Errorf("error names KUBERNETES_MASTER: %v", err)
			}
		})
	}
	if _, err := RESTConfig(Options{Kubeconfig: good, Context: "staging"}); err != nil {
		t.Errorf("a context that exists: %v", err)
	}
}
