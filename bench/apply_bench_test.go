package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"

	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/testcluster"
)

const (
	issueCount   = 200
	issueWorkers = 10
)

// BenchmarkIssue200 issues 200 ECDSA client certificates with
// self-approval four ways on the same cluster, taking turns within each
// iteration so that drift (a cluster filling with CSRs, a disk filling
// with files) falls on all alike:
//
//   - loop: a plain client-go loop (generate, create, approve, watch until
//     issued; 10 workers), the floor;
//   - loop+labels: the same loop labelling and annotating its CSRs as
//     certform does (to list its own in one request): a CSR with metadata
//     has managed fields, which the API server then tracks through the
//     approval and the signature, while a bare CSR has none;
//   - loop+files: the same loop also writing each key and certificate
//     plainly (no sync, no rename) where certform writes them: what
//     creating the files costs;
//   - loop+durable: the same loop writing them as certform must (temporary
//     file, fsync, rename, directory fsync): what durable files cost;
//   - certform: the certform binary (plan, generate and keep the key,
//     submit, record, approve, one shared watch, verify, write atomically,
//     record), --parallelism=10.
//
// It reports each one's wall time and client CPU per iteration (…-s and
// …-cpu-s), the CPU the cluster's processes spent meanwhile (…-server-cpu-s)
// and the API requests it served per certificate (…-req/cert, the
// controller-manager's signing included), and certform's wall time over
// the loop's (certform/loop).
func BenchmarkIssue200(b *testing.B) {
	c := testcluster.Shared(b)
	cs, err := kube.NewClientset(kube.Options{Kubeconfig: c.AdminKubeconfig})
	must(b, err)
	csrs := cs.CertificatesV1().CertificateSigningRequests()
	outputs := outputParent(b)
	bin := buildCertform(b)
	// Each contender runs once per iteration and returns its wall and CPU
	// time; certform is last.
	loop := func(write writeFunc, labelled bool) func(i int) (time.Duration, time.Duration) {
		return func(i int) (time.Duration, time.Duration) {
			dir := ""
			if write != nil {
				var err error
				dir, err = os.MkdirTemp(outputs, "loop-")
				must(b, err)
			}
			start, before := time.Now(), cpuTime()
			rawLoop(b, csrs, fmt.Sprintf("raw-%d-%d", time.Now().UnixNano(), i), dir, write, labelled, issueCount)
			return time.Since(start), cpuTime() - before
		}
	}
	contenders := []struct {
		name string
		run  func(i int) (wall, cpu time.Duration)
	}{
		{"loop", loop(nil, false)},
		{"loop+labels", loop(nil, true)},
		{"loop+files", loop(writePlain, false)},
		{"loop+durable", loop(writeDurable, false)},
		{"certform", func(int) (time.Duration, time.Duration) {
			wall, cpu, _ := certformApply(b, bin, c.AdminKubeconfig, outputs, issueCount)
			return wall, cpu
		}},
	}
	wall := make([]time.Duration, len(contenders))
	cpu := make([]time.Duration, len(contenders))
	server := make([]clusterCost, len(contenders))
	b.ResetTimer()
	b.StopTimer() // ns/op is certform's alone: certformApply times its run
	for i := 0; i < b.N; i++ {
		for j, ct := range contenders {
			before := measureCluster(b, c, cs)
			w, u := ct.run(i)
			wall[j], cpu[j] = wall[j]+w, cpu[j]+u
			cost := measureCluster(b, c, cs).sub(before)
			server[j].cpu, server[j].requests = server[j].cpu+cost.cpu, server[j].requests+cost.requests
		}
	}
	for j, ct := range contenders {
		b.ReportMetric(wall[j].Seconds()/float64(b.N), ct.name+"-s")
		b.ReportMetric(cpu[j].Seconds()/float64(b.N), ct.name+"-cpu-s")
		b.ReportMetric(server[j].cpu.Seconds()/float64(b.N), ct.name+"-server-cpu-s")
		b.ReportMetric(server[j].requests/float64(b.N*issueCount), ct.name+"-req/cert")
	}
	last := len(contenders) - 1
	b.ReportMetric(wall[last].Seconds()/wall[0].Seconds(), "certform/loop")
}

// certformApply runs certform apply on a new configuration of n
// certificates in a new directory under parent and returns its wall time,
// CPU time and peak RSS in MiB.
func certformApply(b *testing.B, bin, kubeconfig, parent string, n int) (wall, cpu time.Duration, rssMiB float64) {
	dir, err := os.MkdirTemp(parent, "certform-")
	must(b, err)
	// A map, not toset(): toset over thousands of strings costs cty
	// seconds of type unification (docs/performance.md).
	names := make(map[string]string, n)
	for i := range n {
		names[fmt.Sprintf("c%05d", i)] = "client"
	}
	namesJSON, _ := json.Marshal(names)
	must(b, os.WriteFile(filepath.Join(dir, "names.json"), namesJSON, 0o644))
	must(b, os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(`
certificate "client" {
  for_each     = jsondecode(file("names.json"))
  common_name  = each.key
  signer_name  = "kubernetes.io/kube-apiserver-client"
  usages       = ["digital signature", "client auth"]
  self_approve = true
  output {
    key_file  = "out/${each.key}.key"
    cert_file = "out/${each.key}.crt"
  }
}
`), 0o644))
	cmd, used := measured(b, bin, "apply", "--auto-approve", "--no-color", fmt.Sprintf("--parallelism=%d", issueWorkers))
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "KUBECONFIG="+kubeconfig)
	b.StartTimer()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	b.StopTimer()
	if err != nil {
		b.Fatalf("certform apply: %v\n%s", err, out)
	}
	u := used()
	return took, u.CPU, u.PeakRSSMiB
}

// outputParent is where the runs write their files:
// $CERTFORM_BENCH_DIR, else the temporary directory. Every run's files stay
// until the test binary exits (TestMain): deleting hundreds of files
// between runs makes the next run's file creations slower on some
// filesystems (ext4 without a journal skips recently freed inodes one by
// one), which would measure the benchmark, not certform.
func outputParent(b *testing.B) string {
	outputs.once.Do(func() {
		outputs.dir, outputs.err = os.MkdirTemp(os.Getenv("CERTFORM_BENCH_DIR"), "certform-bench-")
	})
	must(b, outputs.err)
	return outputs.dir
}

// outputs is the one directory of every benchmark run's files.
var outputs struct {
	once sync.Once
	dir  string
	err  error
}

// writeFunc writes an issued key and certificate into dir.
type writeFunc func(dir, name string, keyPEM, certPEM []byte) error

func writePlain(dir, name string, keyPEM, certPEM []byte) error {
	if err := os.WriteFile(filepath.Join(dir, name+".key"), keyPEM, 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name+".crt"), certPEM, 0o644)
}

func writeDurable(dir, name string, keyPEM, certPEM []byte) error {
	return atomicfile.WriteAll(
		atomicfile.File{Path: filepath.Join(dir, name+".key"), Data: keyPEM, Mode: 0o600},
		atomicfile.File{Path: filepath.Join(dir, name+".crt"), Data: certPEM, Mode: 0o644})
}

// rawLoop is what a careful script does with client-go and nothing else;
// with write set, it writes each key and certificate into dir; labelled,
// its CSRs carry certform's labels and address annotation.
func rawLoop(b *testing.B, csrs kube.CSRs, prefix, dir string, write writeFunc, labelled bool, n int) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < issueWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := rawIssue(csrs, fmt.Sprintf("%s-%05d", prefix, i), dir, write, labelled); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

func rawIssue(csrs kube.CSRs, name, dir string, write writeFunc, labelled bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	key, err := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	if err != nil {
		return err
	}
	req, err := pki.CreateCSR(key, pki.Request{})
	if err != nil {
		return err
	}
	meta := metav1.ObjectMeta{Name: name}
	if labelled {
		meta.Labels = map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: benchLineage}
		meta.Annotations = map[string]string{kube.AnnotationAddr: `certificate.client["` + name + `"]`}
	}
	obj, err := csrs.Create(ctx, &certv1.CertificateSigningRequest{
		ObjectMeta: meta,
		Spec: certv1.CertificateSigningRequestSpec{Request: req, SignerName: "kubernetes.io/kube-apiserver-client",
			Usages: []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageClientAuth}},
	}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	obj.Status.Conditions = append(obj.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "Bench", Message: "bench"})
	obj, err = csrs.UpdateApproval(ctx, name, obj, metav1.UpdateOptions{})
	if err != nil {
		return err
	}
	w, err := csrs.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(), ResourceVersion: obj.ResourceVersion})
	if err != nil {
		return err
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		if o, ok := ev.Object.(*certv1.CertificateSigningRequest); ok && len(o.Status.Certificate) > 0 {
			if write == nil {
				return nil
			}
			keyPEM, err := pki.EncodePrivateKey(key, pki.PKCS8)
			if err != nil {
				return err
			}
			return write(dir, name, keyPEM, o.Status.Certificate)
		}
	}
	return fmt.Errorf("%s: watch ended before the certificate: %v", name, ctx.Err())
}

// benchLineage labels loop+labels' CSRs; no state has it.
const benchLineage = "00000000-0000-4000-8000-000000000000"

// cpuTime is this process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
