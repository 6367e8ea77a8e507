package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/internal/kube"
)

// ApproveOptions are approve's flags.
type ApproveOptions struct {
	Policy         string
	DryRun         bool
	Watch          bool
	JSON           bool
	DenyUnmatched  bool
	Explain        string
	LeaderElect    bool
	LeaseNamespace string
	LeaseName      string
	LeaseDuration  time.Duration
	MetricsAddr    string
}

// Bounds of --lease-duration: shorter leases make replicas renew (and log)
// many times a second; longer ones leave CSRs undecided for long after a
// leader dies.
const (
	minLeaseDuration = 2 * time.Second
	maxLeaseDuration = 10 * time.Minute
)

var cmdApprove = &command{
	name: "approve", summary: "approve or deny pending CSRs by policy",
	desc: `Decides pending CSRs by the policies in --policy DIR (docs/approver.md): approves those a
policy allows, denies those a policy denies (and, with --deny-unmatched, those no policy applies
to), and leaves the rest. Once, or with --watch as they appear, holding a leader-election Lease
so that replicas never decide twice (--leader-elect=false: decide without one).`,
	examples: []string{
		"certform approve --policy policies/ --dry-run",
		"certform approve --policy policies/ --watch --metrics-addr 127.0.0.1:9090",
		"certform approve --policy policies/ --explain csr-abc12",
	},
	globals: gCluster,
	new:     func() Options { return &ApproveOptions{} },
}

// AddFlags adds approve's flags.
func (o *ApproveOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Policy, "policy", "", "policy `DIR` (every *.hcl file) or file; required")
	fs.BoolVar(&o.DryRun, "dry-run", false, "print decisions, change nothing")
	fs.BoolVar(&o.Watch, "watch", false, "keep running and decide CSRs as they appear")
	fs.BoolVar(&o.JSON, "json", false, "print one JSON object per decision")
	fs.BoolVar(&o.DenyUnmatched, "deny-unmatched", false, "deny CSRs no policy applies to, instead of leaving them")
	fs.StringVar(&o.Explain, "explain", "", "show how the policies decide CSR `NAME`, and change nothing")
	fs.BoolVar(&o.LeaderElect, "leader-elect", true, "with --watch: decide only while holding a Lease, so replicas never double-decide")
	fs.StringVar(&o.LeaseNamespace, "lease-namespace", "default", "namespace of the leader-election Lease")
	fs.StringVar(&o.LeaseName, "lease-name", "certform-approver", "name of the leader-election Lease")
	fs.DurationVar(&o.LeaseDuration, "lease-duration", 15*time.Second, "how long a Lease lasts without renewal")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "serve Prometheus metrics on `ADDR` (e.g. 127.0.0.1:9090) at /metrics")
}

// Complete refuses arguments: the policies are named by --policy.
func (o *ApproveOptions) Complete(_ *GlobalOptions, args []string) error {
	return noArgs("approve", args)
}

// Validate requires --policy and a --lease-duration in range.
func (o *ApproveOptions) Validate() error {
	if o.Policy == "" {
		return withHint(errors.New("approve needs --policy"), "certform approve --policy policies/ [--dry-run] [--watch]")
	}
	if o.LeaseDuration < minLeaseDuration || o.LeaseDuration > maxLeaseDuration {
		return withHint(fmt.Errorf("--lease-duration %s is out of range", o.LeaseDuration),
			fmt.Sprintf("use between %s and %s; the default, 15s, is kube-controller-manager's", minLeaseDuration, maxLeaseDuration))
	}
	return nil
}

// Run decides CSRs: approve decides pending CSRs by policy (docs/approver.md).
func (o *ApproveOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	policies, files, diags := approver.Load(o.Policy)
	if err := views.RenderDiagnostics(s.Err, files, diags, views.Colorizer{}, 0); err != nil {
		return exitError, err
	}
	if diags.HasErrors() {
		return exitError, errReported
	}
	opts := kube.Options{Kubeconfig: g.Kubeconfig, Context: g.Context}
	cs, err := kube.NewClientset(opts)
	if err != nil {
		return exitError, withHint(err, "point certform at a cluster with --kubeconfig or $KUBECONFIG")
	}
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	view := approver.NewCluster(cs, policies)
	if err := view.Start(ctx); err != nil {
		return exitError, withHint(err, "context rules read Services, Pods and Nodes: grant the approver list and watch on them (docs/approver.md)")
	}
	if o.Explain != "" {
		return o.explain(ctx, csrs, policies, view, s)
	}
	run := approver.Options{CSRs: csrs, Policies: policies, DryRun: o.DryRun, DenyUnmatched: o.DenyUnmatched,
		Report: decisionPrinter(s, o.JSON, o.DryRun), Cluster: view}
	if !o.DryRun {
		run.Events = approver.NewEventRecorder(ctx, cs)
	}
	if o.MetricsAddr != "" {
		run.Metrics = &approver.Metrics{}
		if err := serveMetrics(ctx, o.MetricsAddr, run.Metrics); err != nil {
			return exitError, err
		}
	}
	switch {
	case !o.Watch:
		err = approver.Once(ctx, run)
	case o.LeaderElect && !o.DryRun:
		err = approver.WatchAsLeader(ctx, run, approver.Election{Client: cs, Namespace: o.LeaseNamespace,
			Name: o.LeaseName, LeaseDuration: o.LeaseDuration})
	default:
		err = approver.Watch(ctx, run)
	}
	if err != nil {
		return exitError, err
	}
	return exitOK, nil
}

func (o *ApproveOptions) explain(ctx context.Context, csrs kube.CSRs, policies []*approver.Policy, view approver.ClusterView, s Streams) (int, error) {
	csr, err := csrs.Get(ctx, o.Explain, metav1.GetOptions{})
	if err != nil {
		return exitError, fmt.Errorf("reading CSR %s: %w", o.Explain, err)
	}
	d, err := approver.DecideIn(ctx, csr, policies, view, true)
	if err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "CSR %s (signer %s, requester %s):\n", csr.Name, csr.Spec.SignerName, csr.Spec.Username)
	for _, line := range d.Trace {
		fmt.Fprintf(s.Out, "  - %s\n", line)
	}
	fmt.Fprintf(s.Out, "decision: %s: %s\n", d.Verdict, d.Message)
	return exitOK, nil
}

// decisionPrinter reports each decision as a line, or as a JSON object.
func decisionPrinter(s Streams, asJSON, dryRun bool) func(approver.Decision, error) {
	var mu sync.Mutex
	return func(d approver.Decision, err error) {
		mu.Lock()
		defer mu.Unlock()
		if asJSON {
			v := map[string]any{"csr": d.CSR, "verdict": d.Verdict, "policy": d.Policy, "rule": d.Rule,
				"message": d.Message, "dry_run": dryRun, "time": time.Now().UTC().Format(time.RFC3339Nano)}
			if err != nil {
				v["error"] = err.Error()
			}
			json.NewEncoder(s.Out).Encode(v)
			return
		}
		prefix := ""
		if dryRun {
			prefix = "(dry run) "
		}
		if err != nil {
			fmt.Fprintf(s.Err, "certform: error: %v\n", err)
			return
		}
		fmt.Fprintf(s.Out, "%s%s %s: %s\n", prefix, d.CSR, d.Verdict, d.Message)
	}
}

func serveMetrics(ctx context.Context, addr string, m *approver.Metrics) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serving metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", m)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	go func() { <-ctx.Done(); srv.Close() }()
	return nil
}
