package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fileindex"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/samefile"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
)

// cliRuns is how many times BenchmarkPlanUpToDate runs the certform binary
// after the in-process iterations; it reports the median.
const cliRuns = 3

// coldRuns is how many plans without a file index BenchmarkPlanUpToDate
// makes before the timed ones; it reports their mean CPU (one plan's
// depends on when the collector runs).
const coldRuns = 3

// BenchmarkPlanUpToDate plans n issued, intact certificates whose CSR
// objects are all still in the cluster (the worst case: within the hour
// before the cleaner removes them), doing in process what certform plan
// does between reading its flags and printing: load the configuration and
// state, look for outputs that are one file, refresh (files, keys, the
// cluster), and plan. It reports API requests and client CPU per plan, and
// the median wall time and the peak RSS of the certform binary doing the
// same.
//
// Plans keep the data directory's file index, as certform plan does: a
// plan with no index (a fresh checkout or CI runner; made after one
// unmeasured plan, as the process's first pays one-time costs) hashes
// every output file and is reported apart as cold-cpu-s (the mean of
// coldRuns, each after deleting the index); the timed plans,
// made more than fileindex.Margin after the files were last written, stat
// them.
func BenchmarkPlanUpToDate(b *testing.B) {
	c := testcluster.Shared(b)
	bin := buildCertform(b)
	cases := []struct {
		name    string
		n       int
		waiting bool // one certificate waits for its signer: the plan lists the CSRs
	}{{"1000", 1000, false}, {"10000", 10000, false}, {"10000-one-waiting", 10000, true}}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			dir := upToDate(b, c, tc.n, true)
			wantExit := 0
			if tc.waiting {
				oneWaiting(b, c, dir)
				wantExit = 2
			}
			cnt := &counter{}
			cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig,
				WrapTransport: func(rt http.RoundTripper) http.RoundTripper { cnt.next = rt; return cnt }})
			must(b, err)
			wd, _ := os.Getwd()
			must(b, os.Chdir(dir))
			defer os.Chdir(wd)
			planOnce(b, cs) // the process's first plan pays one-time costs the others do not
			var coldCPU time.Duration
			for range coldRuns {
				must(b, os.RemoveAll(indexPath))
				cold := cpuTime()
				if p := planOnce(b, cs); changes(p) != wantExit/2 {
					b.Fatalf("plan has %d change(s), want %d: %+v", changes(p), wantExit/2, p.Changes[0])
				}
				coldCPU += cpuTime() - cold
			}
			pastRacyWindow(b, filepath.Join("out", fmt.Sprintf("s%05d.crt", tc.n-1)))
			cnt.n.Store(0)
			stop := profileLoop(b, tc.name)
			b.ResetTimer()
			before := cpuTime()
			for i := 0; i < b.N; i++ {
				p := planOnce(b, cs)
				if changed := changes(p); changed != wantExit/2 {
					b.Fatalf("plan has %d change(s), want %d: %+v", changed, wantExit/2, p.Changes[0])
				}
			}
			b.StopTimer()
			stop()
			b.ReportMetric((cpuTime()-before).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(coldCPU.Seconds()/coldRuns, "cold-cpu-s")
			b.ReportMetric(float64(cnt.n.Load())/float64(b.N), "requests/op")

			var walls []float64
			var rss float64
			for range cliRuns {
				cmd, used := measured(b, bin, "plan", "--detailed-exitcode", "--no-color")
				cmd.Env = append(cmd.Env, "KUBECONFIG="+c.AdminKubeconfig)
				start := time.Now()
				out, err := cmd.CombinedOutput()
				if code := cmd.ProcessState.ExitCode(); code != wantExit {
					b.Fatalf("certform plan exited %d (%v), want %d\n%s", code, err, wantExit, out)
				}
				walls = append(walls, time.Since(start).Seconds())
				if log := os.Getenv("CERTFORM_BENCH_CLI_LOG"); log != "" {
					// e.g. with GODEBUG=gctrace=1, to see the heap the run needed
					must(b, os.WriteFile(log, out, 0o644))
				}
				rss = max(rss, used().PeakRSSMiB)
			}
			slices.Sort(walls)
			b.ReportMetric(walls[len(walls)/2], "cli-seconds")
			b.ReportMetric(rss, "cli-peak-RSS-MB")
		})
	}
}

// indexPath is where planOnce keeps the file index: the data directory's,
// as certform plan does.
var indexPath = filepath.Join(".certform", "file-index")

// pastRacyWindow waits until the last file written is more than
// fileindex.Margin old, so that a plan records it in the index: a plan
// that runs seconds after an apply, not in the same second.
func pastRacyWindow(b *testing.B, last string) {
	at, err := fileindex.SavableAfter(last)
	must(b, err)
	time.Sleep(time.Until(at))
}

// planOnce is what certform plan does between its flags and its output.
func planOnce(b *testing.B, cs kubernetes.Interface) *plan.Plan {
	cfg, _, diags := config.Load(".", config.Inputs{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	ctx := context.Background()
	backend := &local.Backend{Path: local.DefaultPath}
	prior, err := backend.Load(ctx)
	must(b, err)
	keys := keystore.Store{Dir: keystore.DefaultDir}
	index, _ := fileindex.Load(indexPath)
	must(b, samefile.CheckSeeing(cfg, keys.Dir, index.Seen))
	moved := plan.Moved(cfg, prior)
	world, err := refresh.RefreshIn(ctx, cfg, moved, cs, nil, keys, index)
	must(b, err)
	must(b, index.Save(indexPath, time.Now()))
	if os.Getenv("CERTFORM_BENCH_INDEX_STATS") != "" { // shows which plans were answered from the index
		b.Logf("file index: %+v", index.Stats())
	}
	p, err := plan.MakeListing(cfg, prior, world, time.Now(), plan.Options{}, func(world *plan.World) error {
		return refresh.ListCSRs(ctx, cs, moved, world)
	})
	must(b, err)
	return p
}

// changes counts the addresses p changes.
func changes(p *plan.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if c.Action != plan.NoOp {
			n++
		}
	}
	return n
}

// oneWaiting turns the first record of dir's state into one whose CSR was
// submitted and waits for its signer: the CSR object createCSRs made for it,
// pending in the cluster.
func oneWaiting(b *testing.B, c *testcluster.Cluster, dir string) {
	backend := &local.Backend{Path: filepath.Join(dir, local.DefaultPath)}
	st, err := backend.Load(context.Background())
	must(b, err)
	rec := st.Certificates[`certificate.svc["s00000"]`]
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	must(b, err)
	csr, err := cs.CertificatesV1().CertificateSigningRequests().Get(context.Background(), rec.CSRName+"-"+st.Lineage[:8], metav1.GetOptions{})
	must(b, err)
	rec.Status, rec.CSRName, rec.CSRUID = state.StatusPending, csr.Name, string(csr.UID)
	must(b, backend.Persist(context.Background(), st))
}

// profileLoop writes a CPU profile of the timed loop alone, without the
// fixture's set-up, to $CERTFORM_BENCH_CPUPROFILE-NAME when that is set;
// it returns the function that ends it.
func profileLoop(b *testing.B, name string) (stop func()) {
	path := os.Getenv("CERTFORM_BENCH_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path + "-" + name)
	must(b, err)
	must(b, pprof.StartCPUProfile(f))
	return func() {
		pprof.StopCPUProfile()
		must(b, f.Close())
	}
}
