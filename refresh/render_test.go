package refresh

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/certform/certform/config"
	"github.com/certform/certform/refresh/observed"
)

// render is a World as text for the golden files: every field, sorted,
// with the case's directory, namespace and lineage as $DIR, $NS and
// $LINEAGE, and each digest of something random in a run (a key, a
// certificate, a file holding one) by the name the case gave it.
func (e *env) render(w observed.World) string {
	var b strings.Builder
	section := func(title string, lines []string) {
		if len(lines) == 0 {
			return
		}
		slices.Sort(lines)
		fmt.Fprintf(&b, "%s:\n", title)
		for _, l := range lines {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	fmt.Fprintf(&b, "refreshed: %v, here: %v\n", w.Refreshed, !w.Here.IsZero())
	var lines []string
	for p, f := range w.Files {
		if !f.Exists {
			lines = append(lines, p+": missing")
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %s %s", p, f.Mode, e.name(f.SHA256)))
	}
	section("files", lines)
	section("pending keys", e.nameAll(slices.Collect(maps.Keys(w.PendingKeys))))
	lines = nil
	for name, c := range w.CSRs {
		l := fmt.Sprintf("%s: %s", name, c.Phase)
		if c.Message != "" {
			l += fmt.Sprintf(" (%s)", c.Message)
		}
		if c.KeySHA256 != "" {
			l += " key=" + e.name(c.KeySHA256)
		}
		if c.CertSHA256 != "" {
			l += " cert=" + e.name(c.CertSHA256)
		}
		if c.UID == "" {
			l += " no-uid"
		}
		lines = append(lines, l)
	}
	section("csrs", lines)
	lines = nil
	for addr, rb := range w.Bundles {
		var fps []string
		for _, c := range rb.CAs {
			fps = append(fps, config.Fingerprint(c))
		}
		// Sorted by fingerprint and de-duplicated, whose order is random in
		// each run: the golden lists names, the order is checked here.
		order := "sorted"
		if !slices.IsSorted(fps) || len(slices.Compact(slices.Clone(fps))) != len(fps) {
			order = "NOT SORTED AND UNIQUE"
		}
		lines = append(lines, fmt.Sprintf("%s: CAs %v, %s", addr, e.nameAll(fps), order))
		for _, t := range rb.Targets {
			lines = append(lines, fmt.Sprintf("%s: %s %s key %s in %v adopt=%v", addr, t.Kind, t.Name, t.Key, t.Namespaces, t.Adopt))
		}
	}
	section("bundles", lines)
	lines = nil
	for k, p := range w.Published {
		lines = append(lines, fmt.Sprintf("%s: %s %s/%s key %s for %q holds %v", k, p.Kind, p.Namespace, p.Name, p.Key, p.Addr, e.nameAll(p.Fingerprints)))
	}
	section("published", lines)
	section("known CAs", e.nameAll(slices.Collect(maps.Keys(w.KnownCAs))))
	lines = nil
	for k, sum := range w.Secrets {
		tls := w.TLS[k]
		lines = append(lines, fmt.Sprintf("%s: data %s, tls.key %s, serial %s", k, e.name(sum), e.name(tls.KeySHA256), e.name(tls.Serial)))
	}
	section("secrets", lines)
	section("adopted secrets", slices.Collect(maps.Keys(w.AdoptedSecrets)))
	lines = nil
	for k, m := range w.SecretMeta {
		lines = append(lines, fmt.Sprintf("%s: labels %v annotations %v", k, m.Labels, m.Annotations))
	}
	section("secret meta", lines)
	lines = nil
	for k, o := range w.Existing {
		lines = append(lines, fmt.Sprintf("%s: %s %s/%s type %q lineage %q", k, o.Kind, o.Namespace, o.Name, o.Type, o.Lineage))
	}
	section("existing", lines)
	section("unopened", slices.Collect(maps.Keys(w.Unopened)))
	lines = nil
	for addr, fps := range w.Issuers {
		lines = append(lines, fmt.Sprintf("%s: %v", addr, e.nameAll(fps)))
	}
	section("issuers", lines)
	return strings.NewReplacer(e.dir, "$DIR", e.ns, "$NS", e.st.Lineage, "$LINEAGE").Replace(b.String())
}

// name is the case's name for a digest, "-" for none, and the digest
// itself for content that is the same in every run.
func (e *env) name(sum string) string {
	if sum == "" {
		return "-"
	}
	if n, ok := e.names[sum]; ok {
		return n
	}
	return sum
}

// nameAll names each digest, sorted.
func (e *env) nameAll(sums []string) []string {
	out := make([]string, len(sums))
	for i, s := range sums {
		out[i] = e.name(s)
	}
	slices.Sort(out)
	return out
}
