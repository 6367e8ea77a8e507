package plan

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPipelineImports: data flows config → refresh → plan → apply, with
// state beside, and no stage imports a later one; the planner (and the
// state model it reads) links no client library.
func TestPipelineImports(t *testing.T) {
	const mod = "github.com/certform/certform/"
	// Each package's banned dependencies: a path and everything under it.
	banned := map[string][]string{
		"config":   {mod + "refresh", mod + "plan", mod + "apply"},
		"refresh":  {mod + "plan", mod + "apply"},
		"plan":     {mod + "apply", "k8s.io/client-go"},
		"state":    {mod + "config", mod + "refresh", mod + "plan", mod + "apply", "k8s.io/client-go"},
		"apply":    {mod + "cmd"},
		"approver": {mod + "cmd"},
	}
	for pkg, paths := range banned {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", mod+pkg).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", pkg, err)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, b := range paths {
					if dep == b || strings.HasPrefix(dep, b+"/") {
						t.Errorf("%s depends on %s", pkg, dep)
					}
				}
			}
		})
	}
}
