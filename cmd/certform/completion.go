package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// CompletionOptions are completion's argument: the shell.
type CompletionOptions struct {
	Shell string
}

var cmdCompletion = &command{
	name: "completion", args: "bash|zsh|fish", summary: "print a shell completion script",
	desc: `Prints a script that completes certform's commands, flags and subcommands in bash, zsh or
fish, and the addresses in state after --target, --replace and state show, rm and mv. The script
asks certform itself (certform __complete), so it never goes stale; addresses are read from the
state the way certform state list reads it, in the directory --chdir names.`,
	examples: []string{
		"source <(certform completion bash)   # in ~/.bashrc",
		"certform completion zsh > \"${fpath[1]}/_certform\"",
		"certform completion fish > ~/.config/fish/completions/certform.fish",
	},
	new: func() Options { return &CompletionOptions{} },
}

// AddFlags adds none.
func (o *CompletionOptions) AddFlags(*pflag.FlagSet) {}

// Complete takes the shell.
func (o *CompletionOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) != 1 {
		return withHint(fmt.Errorf("completion takes the shell, got %q", args), "certform completion bash|zsh|fish")
	}
	o.Shell = args[0]
	return nil
}

// Validate checks the shell is one certform writes a script for.
func (o *CompletionOptions) Validate() error {
	if _, ok := completionScripts[o.Shell]; !ok {
		hint := "certform completion bash|zsh|fish"
		if sug := suggest(o.Shell, []string{"bash", "zsh", "fish"}); sug != "" {
			hint = fmt.Sprintf("did you mean %q? %s", sug, hint)
		}
		return withHint(fmt.Errorf("no completion for shell %q", o.Shell), hint)
	}
	return nil
}

// Run prints the script.
func (o *CompletionOptions) Run(_ context.Context, _ *GlobalOptions, s Streams) (int, error) {
	_, err := io.WriteString(s.Out, completionScripts[o.Shell])
	return exitOK, err
}

// The scripts pass the words typed so far, the last one the word being
// completed, to certform __complete, and offer what it prints, one
// candidate a line; when it prints nothing, they complete file names.
var completionScripts = map[string]string{
	"bash": `# bash completion for certform: source <(certform completion bash)
_certform() {
    local cur=${COMP_WORDS[COMP_CWORD]} c
    local IFS=$'\n'
    local out=($("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
    COMPREPLY=()
    for c in "${out[@]}"; do
        COMPREPLY+=("$(printf '%q' "$c")")
    done
}
complete -o default -F _certform certform
`,
	"zsh": `#compdef certform
# zsh completion for certform: certform completion zsh > "${fpath[1]}/_certform"
_certform() {
    local -a cands
    cands=("${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ ${#cands} -eq 0 || -z ${cands[1]} ]]; then
        _files
        return
    fi
    compadd -- "${cands[@]}"
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _certform "$@"
else
    compdef _certform certform
fi
`,
	"fish": `# fish completion for certform: certform completion fish > ~/.config/fish/completions/certform.fish
function __certform_complete
    set -l tokens (commandline -opc) (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] 2>/dev/null)
    if test (count $out) -eq 0
        __fish_complete_path (commandline -ct)
    else
        printf '%s\n' $out
    end
end
complete -c certform -f -a '(__certform_complete)'
`,
}

// CompleteOptions are __complete's: the words typed after certform, the
// last the one being completed, and the global flags given before
// __complete.
type CompleteOptions struct {
	words []string
	g     GlobalOptions
}

var cmdComplete = &command{
	name: "__complete", args: "WORD...", hidden: true, rawArgs: true,
	summary: "print completion candidates (for the completion scripts)",
	desc:    "Prints the candidates for the last of WORDS, one a line, for the scripts certform completion prints.",
	new:     func() Options { return &CompleteOptions{} },
}

// AddFlags adds none: every word is an argument.
func (o *CompleteOptions) AddFlags(*pflag.FlagSet) {}

// Complete keeps the words.
func (o *CompleteOptions) Complete(g *GlobalOptions, args []string) error {
	o.words, o.g = args, *g
	return nil
}

// Validate has nothing to check.
func (o *CompleteOptions) Validate() error { return nil }

// Run prints the candidates; it never fails, as a completion has nowhere
// to show an error.
func (o *CompleteOptions) Run(_ context.Context, _ *GlobalOptions, s Streams) (int, error) {
	for _, c := range completions(o.g, o.words) {
		fmt.Fprintln(s.Out, c)
	}
	return exitOK, nil
}

// completions are the candidates for the last of words, typed after the
// global flags base.
func completions(base GlobalOptions, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	// bash and zsh pass the words as typed, fish the current one: escapes
	// and quotes are the shell's, not part of an address or a path.
	unquoted := make([]string, len(words))
	for i, w := range words {
		unquoted[i] = shellUnquote(w)
	}
	words, split := joinFlagValues(unquoted)
	cur := words[len(words)-1]
	prev := words[:len(words)-1]
	// --flag=VALUE: the candidates are VALUE's, given back whole, except
	// to bash, which split the word and replaces only what follows "=".
	valuePrefix := ""
	if name, val, ok := strings.Cut(cur, "="); ok && strings.HasPrefix(cur, "-") {
		prev, cur = append(slices.Clip(prev), name), val
		if !split {
			valuePrefix = name + "="
		}
	}
	// Find the command: the first word that is neither a global flag nor
	// its value.
	g := &GlobalOptions{}
	root := pflag.NewFlagSet("certform", pflag.ContinueOnError)
	g.addFlags(root)
	var cmd *command
	var rest []string
	for i := 0; i < len(prev); i++ {
		w := prev[i]
		if strings.HasPrefix(w, "-") {
			if f := root.Lookup(strings.TrimLeft(w, "-")); f != nil && f.NoOptDefVal == "" {
				i++ // its value
			}
			continue
		}
		cmd, rest = lookupCommand(w), prev[i+1:]
		if cmd == nil {
			return nil
		}
		break
	}
	if cmd == nil {
		if strings.HasPrefix(cur, "-") {
			return withPrefix(flagNames(root), cur)
		}
		return withPrefix(commandNames(), cur)
	}
	o := cmd.new()
	fs := cmd.flagSet(g, o)
	if len(rest) > 0 {
		if f := fs.Lookup(strings.TrimLeft(rest[len(rest)-1], "-")); f != nil && strings.HasPrefix(rest[len(rest)-1], "-") && f.NoOptDefVal == "" {
			var out []string
			for _, v := range withPrefix(flagValues(f.Name, base, prev), cur) {
				out = append(out, valuePrefix+v)
			}
			return out
		}
	}
	if strings.HasPrefix(cur, "-") {
		return withPrefix(flagNames(fs), cur)
	}
	var args []string
	for i := 0; i < len(rest); i++ {
		if strings.HasPrefix(rest[i], "-") {
			if f := fs.Lookup(strings.TrimLeft(rest[i], "-")); f != nil && f.NoOptDefVal == "" && !strings.Contains(rest[i], "=") {
				i++
			}
			continue
		}
		args = append(args, rest[i])
	}
	return withPrefix(argValues(cmd.name, args, base, prev), cur)
}

// joinFlagValues joins what bash splits at "=" (COMP_WORDBREAKS):
// "--target", "=", "certificate.w" becomes "--target=certificate.w". split
// is whether the last word was joined so.
func joinFlagValues(words []string) (joined []string, split bool) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		last := len(joined) - 1
		if w == "=" && last >= 0 && strings.HasPrefix(joined[last], "-") && !strings.Contains(joined[last], "=") {
			joined[last] += "="
			if i+1 < len(words) {
				i++
				joined[last] += words[i]
			}
			split = i == len(words)-1
			continue
		}
		joined = append(joined, w)
		split = false
	}
	return joined, split
}

// flagValues are the candidates for flag's value.
func flagValues(flag string, base GlobalOptions, words []string) []string {
	switch flag {
	case "target", "replace":
		return stateAddrs(base, words)
	case "format":
		return []string{"text", "json", "markdown"}
	}
	return nil // file names, from the shell
}

// argValues are the candidates for a command's next positional argument,
// given those before it.
func argValues(cmd string, args []string, base GlobalOptions, words []string) []string {
	switch {
	case cmd == "help" && len(args) == 0:
		return commandNames()
	case cmd == "completion" && len(args) == 0:
		return []string{"bash", "fish", "zsh"}
	case cmd == "convert" && len(args) == 0:
		return []string{"cfssl"}
	case cmd == "workspace" && len(args) == 0:
		return []string{"delete", "list", "new", "select", "show"}
	case cmd == "state" && len(args) == 0:
		return slices.Sorted(func(yield func(string) bool) {
			for name := range stateSubcommands {
				if !yield(name) {
					return
				}
			}
		})
	case cmd == "state" && (args[0] == "show" && len(args) == 1 || args[0] == "rm" || args[0] == "mv" && len(args) == 1):
		return stateAddrs(base, words)
	}
	return nil
}

// stateAddrs are the addresses in the state of the configuration that
// --chdir names (in base, or among the words), or none when it cannot be
// read. It writes nothing and prints nothing.
func stateAddrs(base GlobalOptions, words []string) []string {
	g := &base
	fs := pflag.NewFlagSet("certform", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.ParseErrorsAllowlist.UnknownFlags = true
	g.addFlags(fs)
	fs.Parse(singleDash(words, fs, true))
	quiet := Streams{Out: io.Discard, Err: io.Discard}
	w, err := openStateOnly(g, quiet, true)
	if err != nil {
		return nil
	}
	// A completion that waits on an unreachable cluster holds up the
	// shell; a few seconds, then no candidates.
	ctx, cancel := context.WithTimeout(context.Background(), completionTimeout)
	defer cancel()
	st, err := w.loadState(ctx)
	if err != nil {
		return nil
	}
	return st.Addrs()
}

// completionTimeout bounds reading the state for a completion.
const completionTimeout = 5 * time.Second

// flagNames are fs's visible flags, as --name.
func flagNames(fs *pflag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, "--"+f.Name)
		}
	})
	return names
}

// withPrefix keeps the candidates that start with prefix.
func withPrefix(cands []string, prefix string) []string {
	var out []string
	for _, c := range cands {
		if strings.HasPrefix(c, prefix) {
			out = append(out, c)
		}
	}
	return out
}
