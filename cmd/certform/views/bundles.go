package views

import (
	"fmt"
	"io"
	"time"

	"github.com/certform/certform/plan"
)

var bundleHeadlines = map[plan.Action]string{
	plan.Create: "will be published",
	plan.Update: "will be updated",
	plan.Delete: "will be removed",
}

// renderBundles writes the CA bundle changes: for each ConfigMap or
// Secret, what it will hold (added, removed and kept CAs), then the
// ca_file outputs that take the bundle.
func renderBundles(w io.Writer, changes []*plan.BundleChange, col Colorizer) {
	for _, ch := range changes {
		if ch.Action == plan.NoOp {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  %s %s\n", col.Bold("# "+ch.Addr), bundleHeadlines[ch.Action])
		for _, r := range ch.Reasons {
			fmt.Fprintf(w, "  %s\n", col.Dim("# ("+r+")"))
		}
		for _, t := range ch.Targets {
			if t.Action != plan.NoOp {
				renderTarget(w, t, col)
			}
		}
		for _, f := range ch.Files {
			fmt.Fprintf(w, "    %s\n", col.Dim(fmt.Sprintf("# ca_file %s of %s receives this bundle too (that certificate's change writes it)", f.Path, f.Addr)))
		}
	}
}

// targetKinds are the kinds of a bundle target as people write them.
var targetKinds = map[string]string{"configmap": "ConfigMap", "secret": "Secret"}

func renderTarget(w io.Writer, t *plan.TargetChange, col Colorizer) {
	kind := targetKinds[t.Kind]
	if kind == "" {
		kind = t.Kind
	}
	fmt.Fprintf(w, "%s %s %s/%s {\n", symbol(t.Action, col), kind, t.Namespace, t.Name)
	sym := map[plan.Action]string{plan.Create: col.Green("+") + " ", plan.Delete: col.Red("-") + " "}[t.Action]
	fmt.Fprintf(w, "      %-2skey   = %q\n", sym, t.Key)
	if t.Adopt {
		fmt.Fprintf(w, "      %-2sadopt = true # an existing object certform did not create is taken over; later only released, never deleted\n", sym)
	}
	for _, ca := range t.Kept {
		fmt.Fprintf(w, "        %s\n", describeCA(ca))
	}
	for _, ca := range t.Added {
		fmt.Fprintf(w, "      %s %s\n", col.Green("+"), describeCA(ca))
	}
	for _, ca := range t.Removed {
		fmt.Fprintf(w, "      %s %s\n", col.Red("-"), describeCA(ca))
	}
	fmt.Fprintln(w, "    }")
}

func describeCA(ca plan.CA) string {
	fp := ca.Fingerprint
	if len(fp) > 16 {
		fp = fp[:16] + "…"
	}
	expires := "unknown expiry"
	if !ca.NotAfter.IsZero() {
		expires = "expires " + ca.NotAfter.Format(time.DateOnly)
	}
	return fmt.Sprintf("CA %q (sha256 %s, %s)", ca.Subject, fp, expires)
}

// bundleSummary counts ConfigMaps to change, or "" when none.
func bundleSummary(changes []*plan.BundleChange) string {
	n := map[plan.Action]int{}
	for _, ch := range changes {
		for _, t := range ch.Targets {
			n[t.Action]++
		}
	}
	if n[plan.Create]+n[plan.Update]+n[plan.Delete] == 0 {
		return ""
	}
	return fmt.Sprintf(" CA bundle targets: %d to publish, %d to update, %d to remove.", n[plan.Create], n[plan.Update], n[plan.Delete])
}

// BundleJSON is one ca_bundle change in plan --json.
type BundleJSON struct {
	Address string       `json:"address"`
	Action  string       `json:"action"`
	Targets []TargetJSON `json:"targets"`
	// Files: the certificates' ca_file outputs that take the bundle (1.1).
	Files []BundleFileJSON `json:"files"`
}

// BundleFileJSON is a certificate's ca_file that receives a bundle.
type BundleFileJSON struct {
	Address string `json:"address"` // the certificate's address
	Path    string `json:"path"`
}

// CAJSON is one CA certificate of a bundle.
type CAJSON struct {
	SHA256   string    `json:"sha256"`
	Subject  string    `json:"subject"`
	NotAfter time.Time `json:"not_after"`
}

// TargetJSON is one ConfigMap of a bundle change.
type TargetJSON struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace"`
	Name      string   `json:"name"`
	Key       string   `json:"key"`
	Action    string   `json:"action"`
	Added     []CAJSON `json:"added"`
	Removed   []CAJSON `json:"removed"`
	Kept      []CAJSON `json:"kept"` // 1.1
}

func bundlesJSON(changes []*plan.BundleChange) []BundleJSON {
	out := []BundleJSON{}
	for _, ch := range changes {
		b := BundleJSON{Address: ch.Addr, Action: string(ch.Action), Targets: []TargetJSON{}, Files: []BundleFileJSON{}}
		for _, f := range ch.Files {
			b.Files = append(b.Files, BundleFileJSON{Address: f.Addr, Path: f.Path})
		}
		for _, t := range ch.Targets {
			tj := TargetJSON{Kind: t.Kind, Namespace: t.Namespace, Name: t.Name, Key: t.Key, Action: string(t.Action),
				Added: casJSON(t.Added), Removed: casJSON(t.Removed), Kept: casJSON(t.Kept)}
			b.Targets = append(b.Targets, tj)
		}
		out = append(out, b)
	}
	return out
}

// casJSON lays out CAs, [] for none.
func casJSON(cas []plan.CA) []CAJSON {
	out := []CAJSON{}
	for _, c := range cas {
		out = append(out, CAJSON{SHA256: c.Fingerprint, Subject: c.Subject, NotAfter: c.NotAfter})
	}
	return out
}
