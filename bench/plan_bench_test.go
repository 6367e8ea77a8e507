package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh"
	"github.com/certform/certform/state/backend/local"
)

// BenchmarkPlanUpToDate plans n issued, intact certificates whose CSR
// objects are all still in the cluster (the worst case: within the hour
// before the cleaner removes them). It reports API requests per plan, and
// the wall time and peak RSS of the certform binary doing the same.
func BenchmarkPlanUpToDate(b *testing.B) {
	c := testcluster.Shared(b)
	bin := buildCertform(b)
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := upToDate(b, c, n, true)
			cnt := &counter{}
			cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig,
				WrapTransport: func(rt http.RoundTripper) http.RoundTripper { cnt.next = rt; return cnt }})
			must(b, err)
			wd, _ := os.Getwd()
			must(b, os.Chdir(dir))
			defer os.Chdir(wd)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				p := planOnce(b, cs)
				if p.HasChanges() {
					b.Fatalf("plan of up-to-date certificates has changes: %+v", p.Changes[0])
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cnt.n.Load())/float64(b.N), "requests/op")

			cmd := exec.Command(bin, "plan", "--detailed-exitcode", "--no-color")
			cmd.Env = append(os.Environ(), "KUBECONFIG="+c.AdminKubeconfig)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				b.Fatalf("certform plan: %v\n%s", err, out)
			}
			b.ReportMetric(time.Since(start).Seconds(), "cli-seconds")
			b.ReportMetric(float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024, "cli-peak-RSS-MB")
		})
	}
}

func planOnce(b *testing.B, cs kubernetes.Interface) *plan.Plan {
	cfg, _, diags := config.Load(".", config.Inputs{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	backend := &local.Backend{Path: local.DefaultPath}
	prior, err := backend.Load(context.Background())
	must(b, err)
	world, err := refresh.Refresh(context.Background(), cfg, prior, cs, keystore.Store{Dir: keystore.DefaultDir})
	must(b, err)
	return plan.Make(cfg, prior, world, time.Now(), plan.Options{})
}
