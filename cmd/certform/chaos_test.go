package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/certform/certform/internal/keystore"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
)

// chaosCerts is how many certificates each chaos apply issues.
const chaosCerts = 40

// TestChaosSignals interrupts 40-certificate applies with SIGINT, SIGTERM
// and SIGKILL at random moments (after a random number of their CSRs has
// appeared, plus a random delay from a seeded RNG), while an approver
// approves every CSR as it appears. Each run is then converged by a plain
// apply and audited: every certificate issued for this state is for a key
// certform holds (a key file or a kept key), no CSR of the state is pending
// or unknown to state, no temporary key file is left, state parses and
// every address is issued. CERTFORM_CHAOS_SEED repeats a run.
func TestChaosSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos runs 40-certificate applies")
	}
	c := sharedCluster(t)
	seed := time.Now().UnixNano()
	if s := os.Getenv("CERTFORM_CHAOS_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	t.Logf("CERTFORM_CHAOS_SEED=%d", seed)
	rng := rand.New(rand.NewSource(seed))
	ap := startApprover(t, c.AdminKubeconfig, "chaos")

	signals := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGKILL}
	const perSignal = 5
	runs := map[syscall.Signal]int{}
	var issued, audited int
	for i := 0; i < perSignal*len(signals); i++ {
		sig := signals[i%len(signals)]
		prefix := fmt.Sprintf("chaos%02dx", i)
		var hcl strings.Builder
		for n := 0; n < chaosCerts; n++ {
			hcl.WriteString(clientCert(fmt.Sprintf("%s%02d", prefix, n), false))
		}
		dir := writeConfig(t, hcl.String())
		seen := ap.subscribe(prefix)
		cmd, out := startCertform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m")
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		// The moment: after k of this run's CSRs appeared, then a short
		// random delay (the moment only; nothing waits on it).
		k, delay := 1+rng.Intn(chaosCerts), time.Duration(rng.Intn(200))*time.Millisecond
		var waitErr error
		done := false
	moment:
		for n := 0; n < k; n++ {
			select {
			case <-seen:
			case waitErr = <-exited:
				done = true
				break moment
			}
		}
		if !done {
			time.Sleep(delay) // the signal's moment, chosen at random; not synchronisation
			cmd.Process.Signal(sig)
			waitErr = <-exited
		}
		ap.unsubscribe(prefix)
		runs[sig]++
		var exit *exec.ExitError
		if waitErr != nil && !errors.As(waitErr, &exit) {
			t.Fatalf("run %d: %v", i, waitErr)
		}
		t.Logf("run %d: %s after %d CSRs + %s: %v", i, sig, k, delay, waitErr)
		if waitErr == nil && !done {
			t.Logf("run %d finished before the signal took effect\n%s", i, out.String())
		}
		if r := certform(t, dir, c.AdminKubeconfig, "apply", "--auto-approve", "--wait-timeout=2m"); r.code != exitOK {
			t.Fatalf("run %d (%s): converging apply failed\n--- interrupted run\n%s\n--- converging run\n%s", i, sig, out.String(), r)
		}
		n, a := auditChaos(t, dir, c.AdminKubeconfig, prefix)
		issued, audited = issued+n, audited+a
	}
	t.Logf("runs: SIGINT %d, SIGTERM %d, SIGKILL %d; certificates issued %d; keys audited %d; CSRs approved %d",
		runs[syscall.SIGINT], runs[syscall.SIGTERM], runs[syscall.SIGKILL], issued, audited, ap.count())
}

// auditChaos checks one converged configuration and returns how many
// certificates were issued for its state and how many keys it checked.
func auditChaos(t *testing.T, dir, kubeconfig, prefix string) (issued, audited int) {
	t.Helper()
	st := readState(t, dir)
	held := map[string]string{} // key fingerprint → where certform holds it
	recorded := map[string]bool{}
	for n := 0; n < chaosCerts; n++ {
		name := fmt.Sprintf("%s%02d", prefix, n)
		rec := st.Certificates["certificate."+name]
		if rec == nil || rec.Status != state.StatusIssued {
			t.Errorf("certificate.%s: %+v, want issued", name, rec)
			continue
		}
		recorded[rec.CSRName] = true
		key, err := pki.ParsePrivateKeyPEM(mustRead(t, filepath.Join(dir, name+".key")))
		if err != nil {
			t.Fatal(err)
		}
		fp, _ := pki.Fingerprint(key.Public())
		held[fp] = name + ".key"
	}
	kept, err := (keystore.Store{Dir: filepath.Join(dir, keystore.DefaultDir)}).Fingerprints()
	if err != nil {
		t.Fatal(err)
	}
	for fp := range kept {
		held[fp] = "kept key"
	}
	list, err := csrClient(t, kubeconfig).List(context.Background(), metav1.ListOptions{LabelSelector: kube.Selector(st.Lineage)})
	if err != nil {
		t.Fatal(err)
	}
	for _, csr := range list.Items {
		if !recorded[csr.Name] {
			t.Errorf("CSR %s of this state is not recorded in state (orphaned)", csr.Name)
		}
		if len(csr.Status.Certificate) == 0 {
			t.Errorf("CSR %s is left without a certificate", csr.Name)
			continue
		}
		issued++
		req, err := pki.ParseCSRPEM(csr.Spec.Request)
		if err != nil {
			t.Fatal(err)
		}
		fp, _ := pki.Fingerprint(req.PublicKey)
		audited++
		if held[fp] == "" {
			t.Errorf("CSR %s was issued for a key certform no longer holds", csr.Name)
		}
	}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp") && (strings.Contains(d.Name(), ".key") || strings.Contains(path, keystore.DefaultDir)) {
			t.Errorf("temporary key file left: %s", path)
		}
		return nil
	})
	return issued, audited
}

// chaosApprover approves every CSR whose name starts with its prefix as soon as
// it appears, as an external approver would, and tells subscribers of each
// new CSR.
type chaosApprover struct {
	mu       sync.Mutex
	subs     map[string]chan struct{}
	approved int
}

func startApprover(t *testing.T, kubeconfig, prefix string) *chaosApprover {
	t.Helper()
	csrs := csrClient(t, kubeconfig)
	ap := &chaosApprover{subs: map[string]chan struct{}{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	t.Cleanup(func() { cancel(); wg.Wait() })
	seen := map[string]bool{}
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			list, err := csrs.List(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByValue})
			if err != nil {
				time.Sleep(100 * time.Millisecond) // back off from a failing API server
				continue
			}
			for i := range list.Items {
				ap.handle(ctx, csrs, &list.Items[i], prefix, seen)
			}
			w, err := csrs.Watch(ctx, metav1.ListOptions{LabelSelector: kube.LabelManagedBy + "=" + kube.ManagedByValue,
				ResourceVersion: list.ResourceVersion})
			if err != nil {
				time.Sleep(100 * time.Millisecond) // back off from a failing API server
				continue
			}
			for ev := range w.ResultChan() {
				if csr, ok := ev.Object.(*certv1.CertificateSigningRequest); ok && (ev.Type == watch.Added || ev.Type == watch.Modified) {
					ap.handle(ctx, csrs, csr, prefix, seen)
				}
			}
			w.Stop()
		}
	}()
	return ap
}

func (ap *chaosApprover) handle(ctx context.Context, csrs kube.CSRs, csr *certv1.CertificateSigningRequest, prefix string, seen map[string]bool) {
	if !strings.HasPrefix(csr.Name, prefix) {
		return
	}
	if !seen[csr.Name] {
		seen[csr.Name] = true
		ap.mu.Lock()
		for p, ch := range ap.subs {
			if strings.HasPrefix(csr.Name, p) {
				select {
				case ch <- struct{}{}:
				default: // the subscriber has what it needs
				}
			}
		}
		ap.mu.Unlock()
	}
	if kube.IsApproved(csr) {
		return
	}
	if _, refused := kube.Refusal(csr); refused {
		return
	}
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: certv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "ChaosApprover", Message: "approves whatever appears",
	})
	if _, err := csrs.UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err == nil {
		ap.mu.Lock()
		ap.approved++
		ap.mu.Unlock()
	}
}

// subscribe returns a channel that receives once for each new CSR whose
// name starts with prefix.
func (ap *chaosApprover) subscribe(prefix string) <-chan struct{} {
	ch := make(chan struct{}, chaosCerts*2)
	ap.mu.Lock()
	ap.subs[prefix] = ch
	ap.mu.Unlock()
	return ch
}

func (ap *chaosApprover) unsubscribe(prefix string) {
	ap.mu.Lock()
	delete(ap.subs, prefix)
	ap.mu.Unlock()
}

func (ap *chaosApprover) count() int {
	ap.mu.Lock()
	defer ap.mu.Unlock()
	return ap.approved
}
