package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// exitStatusCheck is status --check's exit code when a certificate is due
// for renewal or expired.
const exitStatusCheck = 3

// StatusEntry is one certificate in certform status, also its JSON form.
type StatusEntry struct {
	Address      string     `json:"address"`
	Cluster      string     `json:"cluster"` // the kubernetes block's name, "default" for the unnamed one
	Status       string     `json:"status"`  // state status, or "expired" / "renewal-due"
	CommonName   string     `json:"common_name"`
	Hosts        []string   `json:"hosts"` // [] when none, never null
	SerialNumber string     `json:"serial_number,omitempty"`
	NotAfter     *time.Time `json:"not_after,omitempty"`
	DaysLeft     *float64   `json:"days_left,omitempty"`
	RenewAt      *time.Time `json:"renew_at,omitempty"`
	CSR          string     `json:"csr,omitempty"`
	Files        string     `json:"files"` // "ok", "none", "none yet" (in flight), or what is wrong
	Due          bool       `json:"due"`   // inside the renewal window or expired
}

// StatusOptions are status's flags.
type StatusOptions struct {
	JSON  bool
	Check bool
}

var cmdStatus = &command{
	name: "status", summary: "every certificate with expiry and renewal date, most urgent first",
	desc: `Lists every certificate in state, most urgent first: its status (renewal-due and expired are
coloured on a terminal), NotAfter, the days left, when its renewal window opens, its CSR and the
health of its files. It reads the backend and kubernetes blocks and the state; without the
variables the renewal windows assume the default. --check exits 3 when a certificate is inside
its renewal window or expired, for monitoring jobs.`,
	examples: []string{
		"certform status",
		"certform status --check   # exit 3 when a renewal is due",
		"certform status --json",
	},
	globals: gAll,
	new:     func() Options { return &StatusOptions{} },
}

// AddFlags adds status's flags.
func (o *StatusOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.JSON, "json", false, "print as JSON")
	fs.BoolVar(&o.Check, "check", false, "exit 3 when any certificate is inside its renewal window or expired")
}

// Complete refuses arguments: status takes none.
func (o *StatusOptions) Complete(_ *GlobalOptions, args []string) error {
	return noArgs("status", args)
}

// Validate has nothing to check.
func (o *StatusOptions) Validate() error { return nil }

// Run lists every certificate in state, most urgent first.
func (o *StatusOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	w, err := openStateOnly(g, s, true)
	if err != nil {
		return exitError, err
	}
	st, err := w.loadState(ctx)
	if err != nil {
		return exitError, err
	}
	w.cfg = statusConfig(g, w, st, s)
	entries, err := statusEntries(w, st, time.Now())
	if err != nil {
		return exitError, err
	}
	if o.JSON {
		if err := views.WriteJSON(s.Out, map[string]any{"format_version": "1.0", "certificates": entries}); err != nil {
			return exitError, err
		}
	} else {
		renderStatus(s.Out, entries, time.Now(), g.colorizer(s))
	}
	if o.Check && slices.ContainsFunc(entries, func(e StatusEntry) bool { return e.Due }) {
		return exitStatusCheck, nil
	}
	return exitOK, nil
}

func statusEntries(w *workspace, st *state.State, now time.Time) ([]StatusEntry, error) {
	cfgs := map[string]int{}
	for i, c := range w.cfg.Certificates {
		cfgs[c.Addr] = i
	}
	var entries []StatusEntry
	for _, addr := range st.Addrs() {
		rec := st.Certificates[addr]
		e := StatusEntry{Address: addr, Cluster: rec.Cluster.ClusterName(), Status: rec.Status, CommonName: rec.Request.CommonName, Hosts: append([]string{}, rec.Request.Hosts...),
			SerialNumber: rec.SerialNumber, CSR: rec.CSRName, Files: fileHealth(w.cfg.Dir, rec)}
		if i, ok := cfgs[addr]; ok && w.cfg.Certificates[i].Cluster != "" {
			e.Cluster = w.cfg.Certificates[i].Cluster // where the next apply puts it, pending or issued
		}
		if !rec.NotAfter.IsZero() {
			na, left := rec.NotAfter, rec.NotAfter.Sub(now).Hours()/24
			e.NotAfter, e.DaysLeft = &na, &left
			if i, ok := cfgs[addr]; ok {
				at := plan.RenewalTime(w.cfg.Certificates[i], rec.SerialNumber, rec.NotBefore, rec.NotAfter)
				e.RenewAt = &at
				e.Due = !now.Before(at)
			}
			switch {
			case !now.Before(rec.NotAfter):
				e.Status, e.Due = "expired", true
			case e.Due:
				e.Status = "renewal-due"
			}
		}
		entries = append(entries, e)
	}
	slices.SortStableFunc(entries, func(a, b StatusEntry) int { return urgency(a).Compare(urgency(b)) })
	return entries, nil
}

// statusConfig is the configuration for renewal windows. Without the
// variable values it takes to evaluate, status still lists state, with
// every renewal date in the default window, and says so.
func statusConfig(g *GlobalOptions, w *workspace, st *state.State, s Streams) *config.Config {
	cfg, problem := w.fullConfig(g)
	if cfg != nil {
		return cfg
	}
	fmt.Fprintf(s.Err, "certform: warning: the configuration did not load (%s); renewal dates assume the default window, the last third of each lifetime\n", problem)
	cfg = w.cfg
	for _, addr := range st.Addrs() {
		cfg.Certificates = append(cfg.Certificates, &config.Certificate{Addr: addr})
	}
	return cfg
}

// urgency orders by when a certificate needs attention: its renewal time,
// else its expiry; pending ones (no certificate yet) first.
func urgency(e StatusEntry) time.Time {
	switch {
	case e.RenewAt != nil:
		return *e.RenewAt
	case e.NotAfter != nil:
		return *e.NotAfter
	}
	return time.Time{}
}

// fileHealth compares the files on disk (relative paths in dir) with what
// state recorded.
func fileHealth(dir workdir.Dir, rec *state.Certificate) string {
	if len(rec.Files) == 0 {
		if rec.InFlight() {
			return "none yet" // written when the certificate is collected
		}
		return "none"
	}
	var problems []string
	for _, path := range slices.Sorted(maps.Keys(rec.Files)) {
		f := rec.Files[path]
		obs, err := digest.OfFile(dir.Path(path))
		switch {
		case err != nil:
			problems = append(problems, path+" unreadable")
		case !obs.Exists:
			problems = append(problems, path+" missing")
		case obs.SHA256 != f.SHA256:
			problems = append(problems, path+" modified")
		case obs.Mode != f.Mode:
			problems = append(problems, fmt.Sprintf("%s mode %04o", path, uint32(obs.Mode)))
		}
	}
	if len(problems) == 0 {
		return "ok"
	}
	return strings.Join(problems, ", ")
}

// renderStatus prints the status table; renewal-due is yellow and
// expired red when col is enabled.
func renderStatus(w io.Writer, entries []StatusEntry, now time.Time, col views.Colorizer) {
	if len(entries) == 0 {
		fmt.Fprintln(w, "No certificates in state.")
		return
	}
	// The table is aligned without colour, which tabwriter would count as
	// width, and the status cells coloured afterwards.
	// A fleet's status names each certificate's cluster; with one cluster
	// the column would only repeat "default".
	fleet := slices.ContainsFunc(entries, func(e StatusEntry) bool { return e.Cluster != "" && e.Cluster != config.DefaultCluster })
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
	header := "ADDRESS\tSTATUS\tNOT AFTER\tDAYS LEFT\tRENEW AT\tCSR\tFILES"
	if fleet {
		header = "ADDRESS\tCLUSTER\tSTATUS\tNOT AFTER\tDAYS LEFT\tRENEW AT\tCSR\tFILES"
	}
	fmt.Fprintln(tw, header)
	for _, e := range entries {
		addr := e.Address
		if fleet {
			addr += "\t" + e.Cluster
		}
		notAfter, left, renew := "-", "-", "-"
		if e.NotAfter != nil {
			notAfter, left = e.NotAfter.UTC().Format(time.RFC3339), views.DaysLeft(e.NotAfter.Sub(now))
		}
		if e.RenewAt != nil {
			renew = e.RenewAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", addr, e.Status, notAfter, left, renew, e.CSR, e.Files)
	}
	tw.Flush()
	lines := strings.SplitAfter(buf.String(), "\n")
	for i, line := range lines {
		if i > 0 && i <= len(entries) {
			e := entries[i-1]
			paint := map[string]func(string) string{"expired": col.Red, "renewal-due": col.Yellow}[e.Status]
			if paint != nil {
				skip := len(e.Address)
				if fleet {
					skip += strings.Index(line[skip:], e.Cluster) + len(e.Cluster)
				}
				at := skip + strings.Index(line[skip:], e.Status)
				line = line[:at] + paint(e.Status) + line[at+len(e.Status):]
			}
		}
		io.WriteString(w, line)
	}
}
