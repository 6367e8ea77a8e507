package plan

import (
	"fmt"
	"slices"

	"github.com/certform/certform/config"
	"github.com/certform/certform/state"
)

// checkDecoded refuses a saved plan whose changes are malformed, so that
// neither show nor apply meets, halfway through, a change it cannot carry
// out: every address parses and appears once, every action is known, and
// every action that issues or resumes carries the request it asks for.
func checkDecoded(p *Plan) error {
	seen := map[string]bool{}
	for _, c := range p.Changes {
		a, err := ParseAddr(c.Addr)
		if err != nil || a.Kind != "certificate" {
			return fmt.Errorf("plan file has a change for %q, which is not a certificate address", c.Addr)
		}
		if seen[c.Addr] {
			return fmt.Errorf("plan file has two changes for %s", c.Addr)
		}
		seen[c.Addr] = true
		if c.PrevAddr != "" {
			if _, err := ParseAddr(c.PrevAddr); err != nil || c.Action == Import || c.Action == Create {
				return fmt.Errorf("plan file moves %s from %q, which is not a certificate address with a record", c.Addr, c.PrevAddr)
			}
		}
		switch c.Action {
		case Create, Renew, Replace, Update, Wait, Import:
			if c.After == nil {
				return fmt.Errorf("plan file has a %s of %s without the request it asks for (after)", c.Action, c.Addr)
			}
			if c.Action == Import && c.Import == nil {
				return fmt.Errorf("plan file has an import of %s without its source", c.Addr)
			}
		case NoOp, Delete, Forget:
		default:
			return fmt.Errorf("plan file has unknown action %q for %s", c.Action, c.Addr)
		}
	}
	seen = map[string]bool{}
	for _, b := range p.Bundles {
		if b == nil {
			return fmt.Errorf("plan file has an empty CA bundle change")
		}
		a, err := ParseAddr(b.Addr)
		if err != nil || a.Kind != "ca_bundle" || seen[b.Addr] {
			return fmt.Errorf("plan file has a CA bundle change for %q, which is not a CA bundle address or appears twice", b.Addr)
		}
		seen[b.Addr] = true
		if !slices.Contains([]Action{NoOp, Create, Update, Delete}, b.Action) {
			return fmt.Errorf("plan file has unknown action %q for %s", b.Action, b.Addr)
		}
		for _, t := range b.Targets {
			if t == nil || t.Kind != config.TargetConfigMap && t.Kind != config.TargetSecret ||
				!slices.Contains([]Action{NoOp, Create, Update, Delete}, t.Action) || t.Name == "" || t.Namespace == "" {
				return fmt.Errorf("plan file has a malformed target for %s", b.Addr)
			}
		}
	}
	return nil
}

// Check refuses a saved plan that does not fit desired, the configuration
// apply runs with, even when its digest matches (a hand-edited plan): every
// change but a delete names a configured certificate, and each change that
// issues asks for exactly the request the configuration makes. Call it
// after Bind, before acting on any of the plan.
func (s Saved) Check(desired *config.Config) error {
	byAddr := map[string]*config.Certificate{}
	for _, c := range desired.Certificates {
		byAddr[c.Addr] = c
	}
	for _, ch := range s.Plan.Changes {
		c := byAddr[ch.Addr]
		switch {
		case ch.Action == NoOp || ch.Action == Delete || ch.Action == Forget:
		case c == nil:
			return fmt.Errorf("%w: it would %s %s, which is not in the configuration", ErrStale, ch.Action, ch.Addr)
		case !requestEqual(*ch.After, RequestOf(c)):
			return fmt.Errorf("%w: its request for %s differs from the configuration", ErrStale, ch.Addr)
		case ch.AfterAttrs != nil && !attributesEqual(ch.AfterAttrs, AttributesOf(c)):
			// What show displayed must be what apply does.
			return fmt.Errorf("%w: its outputs or settings for %s differ from the configuration", ErrStale, ch.Addr)
		}
		if (ch.Action == Delete || ch.Action == Forget) && ch.Before == nil {
			return fmt.Errorf("%w: delete %s has no record in state", ErrStale, ch.Addr)
		}
	}
	bundles := map[string]bool{}
	for _, b := range desired.CABundles {
		bundles[b.Addr] = true
	}
	for _, b := range s.Plan.Bundles {
		if b.Action != NoOp && b.Action != Delete && !bundles[b.Addr] {
			return fmt.Errorf("%w: it would publish %s, which is not in the configuration", ErrStale, b.Addr)
		}
	}
	return nil
}

// requestEqual compares requests as the planner does: attribute by
// attribute (usages as a set).
func requestEqual(a, b state.Request) bool { return len(requestDiff(a, b)) == 0 }

// attributesEqual compares planned attributes: the request as the planner
// does, the rest exactly.
func attributesEqual(a, b *Attributes) bool {
	return requestEqual(a.Request, b.Request) && (a.Settings == nil) == (b.Settings == nil) &&
		(a.Settings == nil || *a.Settings == *b.Settings) && slices.Equal(a.Files, b.Files) &&
		a.CABundle == b.CABundle && (a.Secret == nil) == (b.Secret == nil) && (a.Secret == nil || a.Secret.equal(b.Secret)) && slices.Equal(a.OnChange, b.OnChange)
}
