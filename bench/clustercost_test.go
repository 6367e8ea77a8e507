package bench

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/internal/testcluster"
)

// clusterCost is what the cluster's processes have spent so far: CPU time
// (etcd, kube-apiserver and kube-controller-manager together) and API
// requests served. On a machine whose cores the cluster shares with the
// client, every CPU-second a contender makes the cluster spend is one its
// own run waits for, so the difference over a run says how heavy a client
// is on the server, apart from how busy the machine happened to be.
type clusterCost struct {
	cpu      time.Duration
	requests float64
}

func (a clusterCost) sub(b clusterCost) clusterCost {
	return clusterCost{cpu: a.cpu - b.cpu, requests: a.requests - b.requests}
}

// measureCluster reads the cluster processes' CPU time from /proc (their
// ids are in the cluster directory's pids file) and the API server's
// apiserver_request_total counters from /metrics.
func measureCluster(b *testing.B, c *testcluster.Cluster, cs kubernetes.Interface) clusterCost {
	b.Helper()
	var cost clusterCost
	pids, err := os.ReadFile(filepath.Join(c.Dir, "pids"))
	must(b, err)
	for _, line := range strings.Split(strings.TrimSpace(string(pids)), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 {
			continue
		}
		cost.cpu += processCPU(b, fields[1])
	}
	metrics, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	must(b, err)
	sc := bufio.NewScanner(bytes.NewReader(metrics))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "apiserver_request_total{") {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		must(b, err)
		cost.requests += v
	}
	must(b, sc.Err())
	return cost
}

// clockTicks is the unit of /proc/PID/stat's CPU times (USER_HZ, 100 on
// every Linux architecture certform runs on).
const clockTicks = 100

// processCPU is the user and system CPU time of process pid so far.
func processCPU(b *testing.B, pid string) time.Duration {
	data, err := os.ReadFile("/proc/" + pid + "/stat")
	must(b, err)
	// The command name (field 2) is in parentheses and may hold spaces:
	// count fields from after its closing one (field 3 on).
	rest := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	utime, err := strconv.ParseInt(rest[11], 10, 64) // field 14
	must(b, err)
	stime, err := strconv.ParseInt(rest[12], 10, 64) // field 15
	must(b, err)
	return time.Duration(utime+stime) * time.Second / clockTicks
}
