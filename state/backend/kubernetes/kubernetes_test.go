package kubernetes

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/testcluster"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m)) }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// TestKubernetesLargeStateRoundTrips writes a state whose compressed form
// is well over the 1 MiB object limit, reads it back whole, and checks that
// a smaller write removes the extra parts.
func TestKubernetesLargeStateRoundTrips(t *testing.T) {
	c := testcluster.Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	k := &Backend{Client: cs, Namespace: "default", Name: "large-" + randomHex(3)}
	s, err := k.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 16000; i++ { // random hex does not compress much below half
		addr := fmt.Sprintf("certificate.c[%q]", fmt.Sprint(i))
		s.Certificates[addr] = &state.Certificate{Addr: addr, Status: state.StatusIssued, KeySHA256: randomHex(32), CSRName: randomHex(16),
			CSRUID: randomHex(16), SerialNumber: randomHex(16), NotBefore: time.Unix(0, 0).UTC(), NotAfter: time.Unix(1e9, 0).UTC(),
			Request: state.Request{CommonName: randomHex(20), KeyAlgorithm: "ecdsa", KeySize: 256, KeyEncoding: "pkcs8", SignerName: "example.com/x", Usages: []string{"server auth"}}}
	}
	if err := k.Persist(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	parts := func() int {
		list, err := cs.CoreV1().Secrets("default").List(context.Background(), metav1.ListOptions{LabelSelector: labelStateOf + "=" + k.Name})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Items)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	data, _ := statefile.Encode(s)
	zw.Write(data)
	zw.Close()
	if buf.Len() <= 1<<20 {
		t.Fatalf("test state is only %d bytes compressed; it must exceed the 1 MiB object limit", buf.Len())
	}
	if n := parts(); n < 2 {
		t.Fatalf("%d Secret(s) hold a %d-byte compressed state; want it split", n, buf.Len())
	}
	back, err := (&Backend{Client: cs, Namespace: "default", Name: k.Name}).Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := statefile.Encode(s)
	got, _ := statefile.Encode(back)
	if string(want) != string(got) {
		t.Fatal("the state read back differs from the one written")
	}
	for addr := range s.Certificates {
		delete(s.Certificates, addr)
		if len(s.Certificates) < 10 {
			break
		}
	}
	if err := k.Persist(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if n := parts(); n != 1 {
		t.Errorf("after a small write %d Secrets remain, want 1 (old parts removed)", n)
	}
}

// TestKubernetesLostUpdateImpossible: two writers loaded the same state;
// the second to write is refused instead of overwriting the first.
func TestKubernetesLostUpdateImpossible(t *testing.T) {
	c := testcluster.Shared(t)
	cs, _ := c.AdminClient()
	name := "race-" + randomHex(3)
	a, b := &Backend{Client: cs, Namespace: "default", Name: name}, &Backend{Client: cs, Namespace: "default", Name: name}
	sa, _ := a.Load(t.Context())
	if err := a.Persist(t.Context(), sa); err != nil {
		t.Fatal(err)
	}
	sa, _ = a.Load(t.Context())
	sb, _ := b.Load(t.Context())
	sa.Certificates["certificate.a"] = &state.Certificate{Addr: "certificate.a", Status: state.StatusPending}
	sb.Certificates["certificate.b"] = &state.Certificate{Addr: "certificate.b", Status: state.StatusPending}
	if err := a.Persist(t.Context(), sa); err != nil {
		t.Fatal(err)
	}
	if err := b.Persist(t.Context(), sb); err == nil {
		t.Fatal("a write based on an outdated read succeeded")
	}
	final, _ := (&Backend{Client: cs, Namespace: "default", Name: name}).Load(t.Context())
	if _, ok := final.Certificates["certificate.a"]; !ok {
		t.Error("the first write was lost")
	}
}

// TestKubernetesHostileStateBounded stores what whoever can write the
// state Secret could: a gzip bomb (a few hundred KiB that expand past the
// state limit; a 970 KB Secret grew the process to 2.1 GB) and an absurd
// part count. Load refuses both with an error instead of exhausting memory
// or issuing a million GETs.
func TestKubernetesHostileStateBounded(t *testing.T) {
	c := testcluster.Shared(t)
	cs, err := c.AdminClient()
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for range limits.StateFile>>20 + 1 {
		zw.Write(zeros)
	}
	zw.Close()
	tests := map[string]struct {
		parts   string
		data    []byte
		wantErr string
	}{
		"gzip bomb":         {parts: "1", data: bomb.Bytes(), wantErr: "more than the limit of 256 MiB"},
		"absurd part count": {parts: "1000000", data: bomb.Bytes(), wantErr: "1000000 parts"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			k := &Backend{Client: cs, Namespace: "default", Name: "hostile-" + randomHex(3)}
			secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: k.Name,
				Annotations: map[string]string{annoGeneration: "g", annoParts: tc.parts}},
				Data: map[string][]byte{stateKey: tc.data}}
			if _, err := cs.CoreV1().Secrets("default").Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			_, err := k.Load(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Load: err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}
