package plan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// Keystores carry random salts, so their bytes change with every encoding
// and say nothing about whether their content is current. A keystore file
// or Secret key is therefore judged by what it was made of: the key and
// certificate (a reissue rewrites it), the CA bundle (its digest, recorded
// beside it), and whether it opens with the configured password (refresh
// tries, World.Unopened). Apply keeps a keystore's bytes when it still
// holds what would be written, so an update that rewrites nothing of it
// leaves it, and its recorded digest, alone.

// AfterAction is one after-change action a change runs.
type AfterAction struct {
	// ID is the action: config.Restart.ID() or config.CommandID.
	ID string
	// Retry: an earlier run changed the certificate but this action
	// failed; it runs again whatever else the change does.
	Retry bool
}

// UnopenedKey is World.Unopened's key for a keystore in a Secret.
func UnopenedKey(namespace, name, dataKey string) string {
	return observed.UnopenedKey(namespace, name, dataKey)
}

// fileStale is the reason to rewrite an extra-format file whose bytes are
// as recorded but whose content is not current, or "".
func fileStale(in input, out Output, rec state.File) string {
	kind := formats.Kind(out.Role)
	switch {
	case !in.world.Refreshed:
		return ""
	case kind.Keystore() && in.world.Unopened[out.Path]:
		return fmt.Sprintf("%s file %s does not open with the configured password", out.Role, out.Path)
	case kind.Truststore() && in.desired.Output.CABundle != "" && rec.SourceSHA256 != sha256Hex(in.caContent[in.desired.Output.CABundle]):
		return fmt.Sprintf("%s file %s is out of date with %s", out.Role, out.Path, in.desired.Output.CABundle)
	}
	return ""
}

// secretTemplateReasons compares the secret block's formats, labels and
// annotations with what state recorded and the Secret holds: each is
// repaired by an update, without reissue.
func secretTemplateReasons(in input) []string {
	want, rec := in.desired.Secret, in.prior.Secret
	if want == nil || rec == nil || rec.Namespace != want.Namespace || rec.Name != want.Name {
		return nil // written whole (secretReasons)
	}
	name := want.Namespace + "/" + want.Name
	var out []string
	if got := formatsOfKeys(rec.Keys); !slices.Equal(got, want.Formats) {
		out = append(out, fmt.Sprintf("secret %s formats change from [%s] to [%s]", name, strings.Join(got, ", "), strings.Join(want.Formats, ", ")))
	}
	if !maps.Equal(rec.Labels, want.Labels) || !maps.Equal(rec.Annotations, want.Annotations) {
		out = append(out, fmt.Sprintf("secret %s labels or annotations changed in the configuration", name))
	}
	if !in.world.Refreshed {
		return out
	}
	meta, found := in.world.SecretMeta[name]
	if found {
		for _, k := range slices.Sorted(maps.Keys(want.Labels)) {
			if v, ok := meta.Labels[k]; !ok || v != want.Labels[k] {
				out = append(out, fmt.Sprintf("secret %s label %s was changed outside certform", name, k))
			}
		}
		for _, k := range slices.Sorted(maps.Keys(want.Annotations)) {
			if v, ok := meta.Annotations[k]; !ok || v != want.Annotations[k] {
				out = append(out, fmt.Sprintf("secret %s annotation %s was changed outside certform", name, k))
			}
		}
	}
	for _, k := range rec.Keys {
		if in.world.Unopened[UnopenedKey(rec.Namespace, rec.Name, k)] {
			out = append(out, fmt.Sprintf("secret %s key %s does not open with the configured password", name, k))
		}
	}
	if b := in.desired.Output.CABundle; b != "" && rec.CASHA256 != "" && rec.CASHA256 != sha256Hex(in.caContent[b]) {
		out = append(out, fmt.Sprintf("secret %s truststores are out of date with %s", name, b))
	}
	return out
}

// formatsOfKeys are the formats whose data keys keys are, sorted.
func formatsOfKeys(keys []string) []string {
	var out []string
	for _, f := range formats.Names {
		for k := range formats.SecretKeys([]string{f}, true) {
			if slices.Contains(keys, k) && !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	slices.Sort(out)
	return out
}

// retryReasons names the after-change actions an earlier run failed to
// run and that are still configured.
func retryReasons(in input) []string {
	var out []string
	for _, id := range pendingActions(in) {
		out = append(out, fmt.Sprintf("after-change action %q failed on an earlier run; it is run again", id))
	}
	return out
}

func pendingActions(in input) []string {
	var out []string
	configured := in.desired.OnChange.IDs()
	for _, id := range in.prior.PendingActions {
		if slices.Contains(configured, id) {
			out = append(out, id)
		}
	}
	return out
}

// afterChange lists the actions a change runs: every configured one when
// the certificate's content changes, else those to retry. The first issue
// runs none: nothing consumed an earlier certificate (docs/configuration.md).
func afterChange(in input, ch *Change) []AfterAction {
	if in.prior == nil {
		return nil
	}
	retry := pendingActions(in)
	var out []AfterAction
	changes := contentChanges(in, ch)
	for _, id := range in.desired.OnChange.IDs() {
		if r := slices.Contains(retry, id); changes || r {
			out = append(out, AfterAction{ID: id, Retry: r})
		}
	}
	return out
}

// contentChanges reports whether ch changes what consumers read: a new
// certificate, or a CA bundle that changed under ca_file, a truststore or
// the Secret. Repairs (a missing or edited file written back, modes,
// labels) restore what consumers already had and change nothing.
func contentChanges(in input, ch *Change) bool {
	switch {
	case ch.Action == Renew || ch.Action == Replace:
		return true
	case ch.Action == Wait:
		return in.prior.SerialNumber != "" // a renewal's CSR, collected now
	case ch.Action != Update:
		return false
	}
	return caStale(in)
}

// caStale reports whether the CA bundle that ca_file, a truststore or the
// Secret's truststores were made of has changed since.
func caStale(in input) bool {
	b := in.desired.Output.CABundle
	if b == "" || !in.world.Refreshed {
		return false
	}
	want := sha256Hex(in.caContent[b])
	for path, f := range in.prior.Files {
		stale := f.Role == state.RoleCA && f.SHA256 != want || formats.Kind(f.Role).Truststore() && f.SourceSHA256 != want
		if stale && slices.ContainsFunc(Outputs(in.desired), func(o Output) bool { return o.Path == path }) {
			return true
		}
	}
	sec := in.prior.Secret
	return sec != nil && sec.CASHA256 != "" && sec.CASHA256 != want
}
