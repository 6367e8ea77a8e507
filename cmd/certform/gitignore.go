package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// gitRoot returns the root of the git work tree holding dir (absolute),
// or "".
func gitRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// unignoredKeyPaths lists, as .gitignore lines anchored at the work tree's
// root, where this configuration writes private keys inside a git work
// tree that git does not ignore: the key files and the data directory
// (pending keys). root is "" when the directory is not in a work tree.
func (w *workspace) unignoredKeyPaths() (root string, lines []string) {
	root = gitRoot(w.cfg.Dir.Abs("."))
	if root == "" {
		return "", nil
	}
	type candidate struct{ probe, line string } // a path git is asked about, and the line that ignores it
	var cands []candidate
	add := func(path string, dir bool) {
		rel, err := filepath.Rel(root, w.cfg.Dir.Abs(path))
		if err != nil || rel == "." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == ".." {
			return // outside the work tree: not git's business
		}
		line := "/" + filepath.ToSlash(rel)
		probe := rel
		if dir {
			line += "/"
			probe = filepath.Join(rel, "pending-keys", "key.pem")
		}
		if !slices.ContainsFunc(cands, func(c candidate) bool { return c.line == line }) {
			cands = append(cands, candidate{probe, line})
		}
	}
	for _, c := range w.cfg.Certificates {
		for _, out := range plan.Outputs(c) {
			if out.Role == state.RoleKey || formats.Kind(out.Role).HoldsKey() { // keystores hold the key too
				add(out.Path, false)
			}
		}
	}
	add(w.dataDir, true)
	probes := make([]string, len(cands))
	for i, c := range cands {
		probes[i] = c.probe
	}
	ignored := gitIgnored(root, probes)
	for _, c := range cands {
		if !ignored[filepath.ToSlash(c.probe)] {
			lines = append(lines, c.line)
		}
	}
	return root, lines
}

// gitIgnored asks git which of paths (relative to root) it ignores. Without
// a working git, it answers none.
func gitIgnored(root string, paths []string) map[string]bool {
	cmd := exec.Command("git", "-C", root, "check-ignore", "--no-index", "--stdin")
	cmd.Stdin = strings.NewReader(strings.Join(paths, "\n") + "\n")
	var out bytes.Buffer
	cmd.Stdout = &out
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) { // 1: none ignored
		return nil
	}
	ignored := map[string]bool{}
	for _, line := range strings.Split(out.String(), "\n") {
		if line != "" {
			ignored[filepath.ToSlash(line)] = true
		}
	}
	return ignored
}

// suggestGitignore prints the .gitignore lines that keep private keys out
// of git, when the configuration writes them inside a work tree.
func (w *workspace) suggestGitignore(out io.Writer) {
	root, lines := w.unignoredKeyPaths()
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(out, "\nPrivate keys are written inside the git work tree %s, and git does not ignore them.\n"+
		"Keep them out of commits: add these lines to %s:\n", root, filepath.Join(root, ".gitignore"))
	for _, l := range lines {
		fmt.Fprintf(out, "  %s\n", l)
	}
}
