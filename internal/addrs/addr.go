// Package addrs is the one place certform spells and parses addresses:
// certificate.NAME, certificate.NAME["KEY"], ca_bundle.NAME, each
// optionally inside a module path module.NAME. or module.NAME["KEY"].,
// repeated for nesting. config builds addresses with it and plan (Addr,
// ParseAddr) re-exports it, so nothing slices address strings by hand.
package addrs

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// Kinds of addressable blocks.
const (
	Certificate = "certificate"
	CABundle    = "ca_bundle"
	module      = "module"
)

// Step is one module call on a module path: module.NAME or module.NAME["KEY"].
type Step struct {
	Name   string
	Key    string
	HasKey bool
}

// String is the step as addresses spell it.
func (s Step) String() string {
	if s.HasKey {
		return module + "." + s.Name + "[" + strconv.Quote(s.Key) + "]"
	}
	return module + "." + s.Name
}

// Module is a path of module instances from the root; its zero value is
// the root module. It is comparable (== and map keys), like Addr.
type Module struct {
	path string // canonical spelling, "" for the root
	n    int    // number of steps
}

// ModuleOf is the module path of steps, outermost first.
func ModuleOf(steps ...Step) Module {
	var m Module
	for _, s := range steps {
		m = m.Child(s)
	}
	return m
}

// String is the path as addresses spell it, without a trailing dot; the
// root module is "".
func (m Module) String() string { return m.path }

// IsRoot reports whether m is the root module.
func (m Module) IsRoot() bool { return m.n == 0 }

// Depth is the number of module calls from the root to m.
func (m Module) Depth() int { return m.n }

// Steps returns the module calls from the root to m, outermost first.
func (m Module) Steps() []Step {
	steps, _, err := parseSteps(m.path, true)
	if err != nil {
		panic(fmt.Sprintf("addrs: module path %q does not parse: %v", m.path, err))
	}
	return steps
}

// prefix is the path followed by a dot, or "" for the root.
func (m Module) prefix() string {
	if m.n == 0 {
		return ""
	}
	return m.path + "."
}

// Child is m extended by one module instance.
func (m Module) Child(s Step) Module {
	return Module{path: m.prefix() + s.String(), n: m.n + 1}
}

// Contains reports whether other is m or a module under it.
func (m Module) Contains(other Module) bool {
	return m.n == 0 || other == m || strings.HasPrefix(other.path, m.path+".")
}

// Selects reports whether the module target m selects module instance
// other or one under it: a step of m without a key selects every instance
// of that module call, as -target=module.NAME does in Terraform.
func (m Module) Selects(other Module) bool {
	if m.n == 0 {
		return true
	}
	if m.n > other.n {
		return false
	}
	theirs := other.Steps()
	for i, step := range m.Steps() {
		if step.Name != theirs[i].Name || step.HasKey && (!theirs[i].HasKey || step.Key != theirs[i].Key) {
			return false
		}
	}
	return true
}

// Addr is a parsed address of a certificate or CA bundle instance.
type Addr struct {
	Module Module // the zero Module: the root
	Kind   string // Certificate or CABundle
	Name   string
	Key    string
	HasKey bool
}

// Block is the address of the block: without the block's instance key
// (the module path keeps its keys).
func (a Addr) Block() string { return a.Module.prefix() + a.Kind + "." + a.Name }

// String is the address as configuration and state spell it.
func (a Addr) String() string {
	if a.HasKey {
		return a.Block() + "[" + strconv.Quote(a.Key) + "]"
	}
	return a.Block()
}

// Parse parses an address; the error says what a valid one looks like.
func Parse(s string) (Addr, error) {
	bad := func(why string) (Addr, error) {
		return Addr{}, fmt.Errorf("malformed address %q: %s; write certificate.NAME or certificate.NAME[\"KEY\"], "+
			"optionally after module.NAME. or module.NAME[\"KEY\"].", s, why)
	}
	steps, rest, err := parseSteps(s, false)
	if err != nil {
		return bad(err.Error())
	}
	m := ModuleOf(steps...)
	kind, rest, ok := strings.Cut(rest, ".")
	if !ok || kind != Certificate && kind != CABundle {
		return bad("it must start with certificate. or ca_bundle.")
	}
	name, key, hasKey, err := nameKey(rest)
	if err != nil {
		return bad(err.Error())
	}
	a := Addr{Module: m, Kind: kind, Name: name, Key: key, HasKey: hasKey}
	if a.String() != s {
		return bad("write the instance key as a double-quoted string")
	}
	return a, nil
}

// ParseModule parses a module instance address such as module.web or
// module.web["a"].module.inner.
func ParseModule(s string) (Module, error) {
	steps, rest, err := parseSteps(s, true)
	m := ModuleOf(steps...)
	if err == nil && (rest != "" || len(steps) == 0) {
		err = fmt.Errorf("it must be module.NAME or module.NAME[\"KEY\"], repeated for nested modules")
	}
	if err == nil && m.String() != s {
		err = fmt.Errorf("write the instance key as a double-quoted string")
	}
	if err != nil {
		return Module{}, fmt.Errorf("malformed module address %q: %s", s, err)
	}
	return m, nil
}

// parseSteps consumes leading module steps of s. With whole, the last
// step may end the string.
func parseSteps(s string, whole bool) ([]Step, string, error) {
	var m []Step
	rest := s
	for strings.HasPrefix(rest, module+".") {
		rest = rest[len(module)+1:]
		end := stepEnd(rest)
		if end < 0 {
			if !whole {
				return nil, "", fmt.Errorf("a module path must be followed by certificate. or ca_bundle.")
			}
			end = len(rest)
		}
		name, key, hasKey, err := nameKey(rest[:end])
		if err != nil {
			return nil, "", err
		}
		m = append(m, Step{Name: name, Key: key, HasKey: hasKey})
		rest = strings.TrimPrefix(rest[end:], ".")
	}
	return m, rest, nil
}

// stepEnd finds the dot that ends one NAME or NAME["KEY"] step, skipping
// dots inside the quoted key; -1 when there is none.
func stepEnd(s string) int {
	inQuote, escaped := false, false
	for i, r := range s {
		switch {
		case escaped:
			escaped = false
		case inQuote && r == '\\':
			escaped = true
		case r == '"':
			inQuote = !inQuote
		case r == '.' && !inQuote:
			return i
		}
	}
	return -1
}

// nameKey splits NAME or NAME["KEY"].
func nameKey(s string) (name, key string, hasKey bool, err error) {
	name = s
	if n, k, ok := strings.Cut(s, "["); ok {
		if !strings.HasSuffix(k, "]") {
			return "", "", false, fmt.Errorf("the instance key must end with ]")
		}
		unquoted, uerr := strconv.Unquote(strings.TrimSuffix(k, "]"))
		if uerr != nil {
			return "", "", false, fmt.Errorf("the instance key must be a quoted string")
		}
		name, key, hasKey = n, unquoted, true
	}
	if !hclsyntax.ValidIdentifier(name) {
		return "", "", false, fmt.Errorf("%q is not a block name", name)
	}
	return name, key, hasKey, nil
}
