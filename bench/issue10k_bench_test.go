package bench

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/testcluster"
)

// bulkCount is how many certificates BenchmarkIssue10000 issues per run.
const bulkCount = 10000

// BenchmarkIssue10000 issues 10,000 ECDSA client certificates with
// self-approval two ways on the same cluster, in turns within each
// iteration (which goes first alternates, so that a cluster filling with
// CSRs weighs on both alike): the bare client-go loop of BenchmarkIssue200
// (10 workers) and certform apply --parallelism=10. It reports the median
// of each one's wall time, the median of the per-iteration ratio
// certform/loop, certform's peak RSS and the CPU the cluster's processes
// spent on each, and logs every iteration with the load average it ran
// under. A 1x run takes several minutes.
func BenchmarkIssue10000(b *testing.B) {
	c := testcluster.Shared(b)
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	must(b, err)
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	outputs := outputParent(b)
	bin := buildCertform(b)
	var loops, certforms, ratios, loopServer, certformServer []float64
	var rss float64
	b.ResetTimer()
	b.StopTimer() // ns/op is certform's alone: certformApply times its run
	for i := 0; i < b.N; i++ {
		var loop, cf, cfCPU time.Duration
		var loopCost, cfCost clusterCost
		runLoop := func() {
			before := measureCluster(b, c, cs)
			start := time.Now()
			rawLoop(b, csrs, fmt.Sprintf("bulk-%d-%d", time.Now().UnixNano(), i), "", nil, false, bulkCount)
			loop = time.Since(start)
			loopCost = measureCluster(b, c, cs).sub(before)
		}
		runCertform := func() {
			var peak float64
			before := measureCluster(b, c, cs)
			cf, cfCPU, peak = certformApply(b, bin, c.AdminKubeconfig, outputs, bulkCount)
			cfCost = measureCluster(b, c, cs).sub(before)
			rss = max(rss, peak)
		}
		first, second := runLoop, runCertform
		// CERTFORM_BENCH_FIRST=certform starts with certform (a run of
		// -benchtime 1x is otherwise always the loop first).
		if (i%2 == 1) != (os.Getenv("CERTFORM_BENCH_FIRST") == "certform") {
			first, second = runCertform, runLoop
		}
		load0 := loadAverage()
		first()
		second()
		b.Logf("iteration %d: loop %.1f s, certform %.1f s (%.2fx), certform CPU %.1f s, peak RSS %.0f MiB; cluster CPU loop %.1f s, certform %.1f s; requests/cert loop %.2f, certform %.2f; load %s → %s",
			i, loop.Seconds(), cf.Seconds(), cf.Seconds()/loop.Seconds(), cfCPU.Seconds(), rss,
			loopCost.cpu.Seconds(), cfCost.cpu.Seconds(), loopCost.requests/bulkCount, cfCost.requests/bulkCount, load0, loadAverage())
		loopServer, certformServer = append(loopServer, loopCost.cpu.Seconds()), append(certformServer, cfCost.cpu.Seconds())
		loops, certforms = append(loops, loop.Seconds()), append(certforms, cf.Seconds())
		ratios = append(ratios, cf.Seconds()/loop.Seconds())
	}
	b.ReportMetric(median(loops), "loop-s")
	b.ReportMetric(median(certforms), "certform-s")
	b.ReportMetric(median(ratios), "certform/loop")
	b.ReportMetric(median(loopServer), "loop-server-cpu-s")
	b.ReportMetric(median(certformServer), "certform-server-cpu-s")
	b.ReportMetric(rss, "certform-peak-RSS-MB")
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	return s[len(s)/2]
}

// loadAverage is the machine's 1-minute load average, for the log.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
