package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/agext/levenshtein"
	"github.com/spf13/pflag"
)

// suggest returns the candidate closest to name when it is close enough to
// be a typo of it (at most two edits, and fewer than the letters of
// name), else "".
func suggest(name string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		d := levenshtein.Distance(name, c, nil)
		if d < bestDist && d < len(name) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is usage, led by the known subcommand sub most likely meant:
// the only one sub begins (sel: select), else the closest by spelling.
func didYouMean(sub string, known []string, usage string) string {
	known = slices.Sorted(slices.Values(known))
	var prefixed []string
	for _, k := range known {
		if strings.HasPrefix(k, sub) {
			prefixed = append(prefixed, k)
		}
	}
	sug := suggest(sub, known)
	if len(prefixed) == 1 {
		sug = prefixed[0]
	}
	if sug != "" {
		return fmt.Sprintf("did you mean %q? %s", sug, usage)
	}
	return usage
}

// singleDash accepts Terraform's single-dash spelling of a long flag
// (-out FILE, -chdir=DIR, -auto-approve) by rewriting it to two dashes.
// Rewriting stops at "--" and, unless interspersed, at the first
// positional argument; a flag's separate value is never rewritten.
func singleDash(args []string, fs *pflag.FlagSet, interspersed bool) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if !interspersed {
				return append(out, args[i:]...)
			}
			out = append(out, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if !strings.HasPrefix(a, "--") && len(name) > 1 && f != nil {
			a = "-" + a
		}
		out = append(out, a)
		if f != nil && strings.HasPrefix(a, "--") && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			out = append(out, args[i+1]) // the flag's value
			i++
		}
	}
	return out
}

// flagError adds a hint to a flag parsing error: the flag meant, if the
// one given is a typo of one, and where the command's flags are listed.
func flagError(err error, fs *pflag.FlagSet, cmd string) error {
	help := "run 'certform --help' for usage"
	if cmd != "" {
		help = "run 'certform " + cmd + " --help' for its flags"
	}
	var missing *pflag.NotExistError
	if !errors.As(err, &missing) {
		return withHint(err, help)
	}
	name := missing.GetSpecifiedName()
	if short := missing.GetSpecifiedShortnames(); short != "" {
		// -foo: pflag read it as the shorthands f, o, o.
		name = short
	}
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if sug := suggest(name, names); sug != "" {
		return withHint(err, fmt.Sprintf("did you mean --%s? %s", sug, help))
	}
	if short := missing.GetSpecifiedShortnames(); len(short) > 1 {
		return withHint(err, "certform's long flags take two dashes (--"+short+"); "+help)
	}
	return withHint(err, help)
}
