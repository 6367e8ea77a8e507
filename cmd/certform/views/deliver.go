package views

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
)

// extraFileAttrs lays out the output files in other formats (keystores,
// combined PEM, DER), each path with its mode.
func extraFileAttrs(a *plan.Attributes) []attr {
	var attrs []attr
	for _, k := range config.ExtraFileKinds() {
		at := attr{name: "output." + string(k) + "_file"}
		if o, ok := a.File(string(k)); ok {
			at.value = []string{fmt.Sprintf("%q (mode %s)", o.Path, mode(o.Mode))}
		}
		attrs = append(attrs, at)
	}
	return attrs
}

// secretTemplateAttrs lays out the Secret's extra formats, labels and
// annotations, and the after-change actions (configured side only).
func secretTemplateAttrs(s *plan.SecretTarget, onChange []string) []attr {
	attrs := []attr{strList("secret.formats", s.Formats), mapAttr("secret.labels", s.Labels), mapAttr("secret.annotations", s.Annotations)}
	actions := strList("on_change", onChange)
	actions.unrecorded = true
	return append(attrs, actions)
}

// mapAttr renders a map as a list of key = value, sorted by key.
func mapAttr(name string, m map[string]string) attr {
	a := attr{name: name, list: true}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		a.value = append(a.value, strconv.Quote(k)+" = "+strconv.Quote(m[k]))
	}
	return a
}

// describeAfterChange renders one after-change action for a plan.
func describeAfterChange(a plan.AfterAction) string {
	what := a.ID
	if a.ID == config.CommandID {
		what = "run on_change.command"
	}
	if a.Retry {
		what += " (retry: it failed on an earlier run)"
	}
	return what
}
