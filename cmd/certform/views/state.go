package views

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certform/certform/state"
)

// RenderState lists the certificates in state, one line each; a CLUSTER
// column names each one's cluster when state records a named one (a
// fleet), as status does.
func RenderState(w io.Writer, st *state.State, now time.Time) {
	if len(st.Certificates) == 0 {
		fmt.Fprintln(w, "The state is empty.")
		return
	}
	fleet := false
	for _, c := range st.Certificates {
		fleet = fleet || c.Cluster.ClusterName() != state.DefaultCluster
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if fleet {
		fmt.Fprintln(tw, "ADDRESS\tCLUSTER\tSTATUS\tCSR\tNOT AFTER\tDAYS LEFT")
	} else {
		fmt.Fprintln(tw, "ADDRESS\tSTATUS\tCSR\tNOT AFTER\tDAYS LEFT")
	}
	for _, addr := range st.Addrs() {
		c := st.Certificates[addr]
		notAfter, left := "-", "-"
		if !c.NotAfter.IsZero() {
			notAfter = c.NotAfter.UTC().Format(time.RFC3339)
			left = DaysLeft(c.NotAfter.Sub(now))
		}
		if fleet {
			addr += "\t" + c.Cluster.ClusterName()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", addr, c.Status, c.CSRName, notAfter, left)
	}
	tw.Flush()
}

// DaysLeft shows the time left until expiry for a DAYS LEFT column: days
// with one decimal, hours in the last day (not "0.0"), and "expired"
// once it has passed (not "-0.0").
func DaysLeft(left time.Duration) string {
	switch {
	case left <= 0:
		return "expired"
	case left < time.Hour:
		return "<1h"
	case left < 24*time.Hour:
		return fmt.Sprintf("%dh", int(left.Hours()))
	}
	return fmt.Sprintf("%.1f", left.Hours()/24)
}

// RenderRecord shows one state record in full.
func RenderRecord(w io.Writer, c *state.Certificate) {
	r := c.Request
	line := func(k string, v any) { fmt.Fprintf(w, "  %-20s = %v\n", k, v) }
	fmt.Fprintf(w, "# %s\n", c.Addr)
	line("status", c.Status)
	if c.Cluster != (state.Cluster{}) && c.Cluster != (state.Cluster{Name: state.DefaultCluster}) {
		line("cluster", c.Cluster) // name, API server and kube-system UID
	}
	line("common_name", fmt.Sprintf("%q", r.CommonName))
	line("hosts", quoted(r.Hosts))
	if len(r.Organization) > 0 {
		line("organization", quoted(r.Organization))
	}
	line("key", fmt.Sprintf("%s-%d (%s)", r.KeyAlgorithm, r.KeySize, r.KeyEncoding))
	line("key_sha256", c.KeySHA256)
	line("signer_name", r.SignerName)
	line("usages", quoted(r.Usages))
	line("csr_name", c.CSRName)
	line("csr_uid", c.CSRUID)
	if c.SerialNumber != "" {
		line("serial_number", c.SerialNumber)
		line("not_before", c.NotBefore.UTC().Format(time.RFC3339))
		line("not_after", c.NotAfter.UTC().Format(time.RFC3339))
	}
	paths := make([]string, 0, len(c.Files))
	for p := range c.Files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		f := c.Files[p]
		line("file."+f.Role, fmt.Sprintf("%s (mode %04o, sha256 %s)", p, uint32(f.Mode), f.SHA256))
	}
}

func quoted(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
