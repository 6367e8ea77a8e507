package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/fileindex"
	"github.com/certform/certform/internal/gctune"
	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/samefile"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/refresh"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend/local"
)

// fleetSize is the number of up-to-date certificates per cluster.
const fleetSize = 1000

// BenchmarkPlanFleet plans three clusters of fleetSize up-to-date
// certificates each (CSR objects still in every cluster) and, in the same
// run on the first of those clusters, one cluster of fleetSize: the
// target is a fleet plan within 1.3× the single one, since the clusters
// are observed at once. It reports both in-process times per plan, their
// ratio, and the certform binary's wall time and peak RSS for each.
func BenchmarkPlanFleet(b *testing.B) {
	clusters := testcluster.StartFleet(b, 3)
	bin := buildCertform(b)
	defer gctune.Tune()() // the collector as the binary sets it
	kc := filepath.Join(b.TempDir(), "fleet.kubeconfig")
	names := []string{"c0", "c1", "c2"}
	must(b, testcluster.WriteFleetKubeconfig(kc, names, map[string]string{"c0": clusters[0].AdminKubeconfig, "c1": clusters[1].AdminKubeconfig, "c2": clusters[2].AdminKubeconfig}))
	single := fleetDir(b, clusters[:1], []string{config.DefaultCluster}, fleetSize)
	fleet := fleetDir(b, clusters, names, fleetSize)
	// One cluster of as many certificates as the fleet: what the fleet
	// costs beyond its certificates' own work.
	same := fleetDir(b, clusters[:1], []string{config.DefaultCluster}, 3*fleetSize)
	// A plan some seconds after the files were written, as after an apply:
	// the first (the testing package's run of one) records them in each
	// directory's file index, and the measured ones use it.
	pastRacyWindow(b, filepath.Join(same, "out", fmt.Sprintf("%s-s%05d.crt", config.DefaultCluster, 3*fleetSize-1)))

	clients := map[string]kubernetes.Interface{}
	for _, name := range names {
		cs, err := kube.NewClientset(kube.Options{Kubeconfig: kc, Context: name})
		must(b, err)
		clients[name] = cs
	}
	clients[config.DefaultCluster] = clients["c0"]

	var singleTime, fleetTime, sameTime time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		singleTime += timed(b, single, clients)
		fleetTime += timed(b, fleet, clients)
		sameTime += timed(b, same, clients)
	}
	b.StopTimer()
	b.ReportMetric(singleTime.Seconds()/float64(b.N), "single-s/op")
	b.ReportMetric(fleetTime.Seconds()/float64(b.N), "fleet-s/op")
	b.ReportMetric(sameTime.Seconds()/float64(b.N), "one-cluster-of-3000-s/op")
	b.ReportMetric(float64(fleetTime)/float64(singleTime), "fleet/single")
	b.ReportMetric(float64(fleetTime)/float64(sameTime), "fleet/one-cluster-of-3000")
	for label, dir := range map[string]string{"single": single, "fleet": fleet} {
		var walls []float64
		var rss float64
		for range cliRuns {
			cmd, used := measured(b, bin, "plan", "--detailed-exitcode", "--no-color")
			cmd.Dir = dir
			cmd.Env = append(cmd.Env, "KUBECONFIG="+kc)
			start := time.Now()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("certform plan (%s): %v\n%s", label, err, out)
			}
			walls = append(walls, time.Since(start).Seconds())
			rss = max(rss, used().PeakRSSMiB)
		}
		slices.Sort(walls)
		b.ReportMetric(walls[len(walls)/2], label+"-cli-seconds")
		b.ReportMetric(rss, label+"-cli-peak-RSS-MB")
	}
}

// timed plans dir in process as certform plan does for a fleet: split
// by cluster, each cluster observed and planned at once, plans joined.
// It fails b when the plan has changes.
func timed(b *testing.B, dir string, clients map[string]kubernetes.Interface) time.Duration {
	b.Helper()
	wd, _ := os.Getwd()
	must(b, os.Chdir(dir))
	defer os.Chdir(wd)
	start := time.Now()
	cfg, _, diags := config.Load(".", config.Inputs{})
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	prior, err := (&local.Backend{Path: local.DefaultPath}).Load(context.Background())
	must(b, err)
	keys := keystore.Store{Dir: keystore.DefaultDir}
	index, _ := fileindex.Load(indexPath)
	must(b, samefile.CheckSeeing(cfg, keys.Dir, index.Seen))
	parts := plan.Split(cfg, prior)
	plans := make([]*plan.Plan, len(parts))
	errs := make([]error, len(parts))
	now := time.Now()
	var wg sync.WaitGroup
	for i, part := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each cluster's identity, as plan reads it before observing.
			_, err := clients[part.Cluster].CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{})
			if err != nil {
				errs[i] = err
				return
			}
			moved := plan.Moved(part.Config, part.Prior)
			world, err := refresh.RefreshIn(context.Background(), part.Config, moved, clients[part.Cluster], nil, keys, index)
			if err != nil {
				errs[i] = err
				return
			}
			plans[i], errs[i] = plan.MakeListing(part.Config, part.Prior, world, now, plan.Options{}, func(world *plan.World) error {
				return refresh.ListCSRs(context.Background(), clients[part.Cluster], moved, world)
			})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		must(b, err)
	}
	must(b, index.Save(indexPath, time.Now()))
	p := plan.Merge(prior, now, plans)
	elapsed := time.Since(start)
	if p.HasChanges() || len(p.Changes) != len(prior.Certificates) {
		b.Fatalf("plan of %d up-to-date certificates: %d changes, has changes %v", len(prior.Certificates), len(p.Changes), p.HasChanges())
	}
	return elapsed
}

// fleetDir writes a configuration of perCluster certificates in each of
// the named clusters (config.DefaultCluster: the unnamed one), a state in
// which all are issued and bound to their cluster's identity, their files,
// and their CSR objects in each cluster.
func fleetDir(b *testing.B, clusters []*testcluster.Cluster, names []string, perCluster int) string {
	b.Helper()
	dir := b.TempDir()
	var hcl strings.Builder
	for _, name := range names {
		if name != config.DefaultCluster {
			fmt.Fprintf(&hcl, "kubernetes %q {\n  context = %q\n}\n\n", name, name)
		}
	}
	cluster := "kubernetes[each.value]"
	if len(names) == 1 && names[0] == config.DefaultCluster {
		cluster = "null"
	}
	fmt.Fprintf(&hcl, `certificate "svc" {
  for_each    = jsondecode(file("names.json"))
  cluster     = %s
  common_name = "${each.key}.example"
  hosts       = ["${each.key}.example"]
  signer_name = "example.com/serving"
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
`, cluster)
	must(b, os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(hcl.String()), 0o644))
	must(b, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
	must(b, os.MkdirAll(filepath.Join(dir, filepath.Dir(indexPath)), 0o700)) // the data directory, where plan keeps its file index
	keys := map[string]string{}
	st := state.New()
	byCluster := make([]*state.State, len(names))
	for ci, name := range names {
		uid, err := clusters[ci].UID(context.Background())
		must(b, err)
		id := state.Cluster{Name: name, UID: uid, Server: clusters[ci].APIServerURL()}
		byCluster[ci] = &state.State{Lineage: st.Lineage, Certificates: map[string]*state.Certificate{}}
		for i := 0; i < perCluster; i++ {
			key := fmt.Sprintf("%s-s%05d", name, i)
			keys[key] = name
			rec := issuedRecord(b, dir, key)
			rec.Cluster = id
			st.Certificates[rec.Addr], byCluster[ci].Certificates[rec.Addr] = rec, rec
		}
	}
	data, _ := json.Marshal(keys)
	must(b, os.WriteFile(filepath.Join(dir, "names.json"), data, 0o644))
	backend := &local.Backend{Path: filepath.Join(dir, local.DefaultPath)}
	_, err := backend.Load(context.Background())
	must(b, err)
	must(b, backend.Persist(context.Background(), st))
	for ci := range names {
		createCSRs(b, clusters[ci], byCluster[ci])
	}
	return dir
}

// issuedRecord writes the files of an issued certificate.svc[key] into
// dir/out and returns its record, with paths relative to dir as a plan
// run there sees them.
func issuedRecord(b *testing.B, dir, key string) *state.Certificate {
	keyData, certData := []byte("key "+key), []byte("cert "+key)
	keyPath, certPath := filepath.Join(dir, "out", key+".key"), filepath.Join(dir, "out", key+".crt")
	must(b, os.WriteFile(keyPath, keyData, 0o600))
	must(b, os.WriteFile(certPath, certData, 0o644))
	addr := fmt.Sprintf(`certificate.svc[%q]`, key)
	notBefore := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	return &state.Certificate{
		Addr: addr, Status: state.StatusIssued, KeySHA256: sum([]byte(key)), CSRName: "svc-" + key, CSRUID: "uid-" + key,
		Request: state.Request{CommonName: key + ".example", Hosts: []string{key + ".example"}, KeyAlgorithm: "ecdsa",
			KeySize: 256, KeyEncoding: "pkcs8", SignerName: "example.com/serving", Usages: []string{"digital signature", "key encipherment", "server auth"}},
		SerialNumber: "01", NotBefore: notBefore, NotAfter: notBefore.Add(365 * 24 * time.Hour),
		Files: map[string]state.File{
			"out/" + key + ".key": {Role: state.RoleKey, SHA256: sum(keyData), Mode: 0o600},
			"out/" + key + ".crt": {Role: state.RoleCert, SHA256: sum(certData), Mode: 0o644},
		},
	}
}
