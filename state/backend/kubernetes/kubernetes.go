package kubernetes

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	coordv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	"github.com/certform/certform/state/statefile"
)

// Backend keeps state in the cluster: gzipped JSON in a Secret, split
// over further Secrets when it outgrows the object size limit, and locked
// with a coordination.k8s.io Lease that expires unless renewed (lease.go).
//
// A write first creates the parts of a new generation, then updates the
// main Secret to point at them with the resourceVersion it last read, so a
// concurrent writer makes the update fail instead of being overwritten,
// and a reader never sees a half-written state; old parts are removed last.
type Backend struct {
	Client    clientset.Interface
	Namespace string
	Name      string
	// LockTTL is how long a lock lives without renewal (default 30s).
	LockTTL time.Duration
	// Cluster names the cluster the Secret is in, for messages (e.g.
	// `cluster "default" at https://10.0.0.1:6443`); "" names none.
	Cluster string

	rv         string // resourceVersion of the main Secret as last read or written
	generation string
	persisted  []byte // content (serial zeroed) as last read or written
	serial     uint64
	current    *state.State // for Record, which merges changes into it
	lease      *leaseHolder
	observed   observation // the Lease as Lock last saw it change
}

// Object layout.
const (
	partSize       = 900 << 10 // bytes of compressed state per Secret
	annoGeneration = "certform.dev/state-generation"
	annoParts      = "certform.dev/state-parts"
	stateKey       = "state.json.gz"
	labelStateOf   = "certform.dev/state-of"
	// maxParts is the most parts a state within limits.StateFile needs
	// (JSON compresses, so far fewer in practice).
	maxParts = limits.StateFile/partSize + 1
)

// Describe names the Secret, and its cluster when known: with a fleet,
// the state of every cluster lives in one of them.
func (k *Backend) Describe() string {
	if k.Cluster != "" {
		return fmt.Sprintf("Secret %s/%s in %s", k.Namespace, k.Name, k.Cluster)
	}
	return fmt.Sprintf("Secret %s/%s", k.Namespace, k.Name)
}

func (k *Backend) partName(gen string, i int) string {
	return fmt.Sprintf("%s-part-%s-%d", k.Name, gen, i)
}

// Load reads the state; a missing Secret yields a new, empty state.
func (k *Backend) Load(ctx context.Context) (*state.State, error) {
	main, err := k.Client.CoreV1().Secrets(k.Namespace).Get(ctx, k.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		k.rv, k.generation, k.persisted, k.serial = "", "", nil, 0
		k.current = state.New()
		return k.current.DeepCopy(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading state from %s: %w", k.Describe(), err)
	}
	gen := main.Annotations[annoGeneration]
	parts, err := strconv.Atoi(main.Annotations[annoParts])
	if err != nil || parts < 1 {
		return nil, fmt.Errorf("state in %s is malformed: no part count", k.Describe())
	}
	if parts > maxParts {
		return nil, fmt.Errorf("state in %s is malformed: %d parts, more than a state of %d MiB needs", k.Describe(), parts, limits.StateFile>>20)
	}
	compressed := bytes.Clone(main.Data[stateKey])
	for i := 1; i < parts; i++ {
		part, err := k.Client.CoreV1().Secrets(k.Namespace).Get(ctx, k.partName(gen, i), metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("reading state part %d from %s: %w", i, k.Describe(), err)
		}
		compressed = append(compressed, part.Data[stateKey]...)
	}
	zr, err := gzip.NewReader(bytes.NewReader(compressed))
	if err != nil {
		return nil, fmt.Errorf("state in %s is malformed: %w", k.Describe(), err)
	}
	// Bounded: a few hundred KiB of gzip can expand to gigabytes.
	data, err := limits.ReadAll(zr, limits.StateFile)
	if err != nil {
		return nil, fmt.Errorf("state in %s is malformed: decompressing it: %w", k.Describe(), err)
	}
	s, err := statefile.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("reading state from %s: %w", k.Describe(), err)
	}
	k.rv, k.generation, k.serial, k.current = main.ResourceVersion, gen, s.Serial, s.DeepCopy()
	if k.persisted, err = statefile.Content(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Persist writes s when its content changed, raising the serial.
func (k *Backend) Persist(ctx context.Context, s *state.State) error {
	content, err := statefile.Content(s)
	if err != nil {
		return err
	}
	if k.persisted != nil && bytes.Equal(content, k.persisted) {
		s.Serial = k.serial
		return nil
	}
	s.Serial = k.serial + 1
	data, err := statefile.Encode(s)
	if err != nil {
		return err
	}
	if err := k.write(ctx, data); err != nil {
		s.Serial = k.serial
		return err
	}
	k.persisted, k.serial, k.current = content, s.Serial, s.DeepCopy()
	return nil
}

// Record merges changes into the state last read or written and persists
// it: in the cluster there is no cheaper append than a write of the whole.
func (k *Backend) Record(ctx context.Context, lineage string, changes map[string]*state.Certificate) error {
	if k.current == nil {
		return errors.New("state not loaded")
	}
	next := k.current.DeepCopy()
	next.Lineage = lineage
	for addr, c := range changes {
		if c == nil {
			delete(next.Certificates, addr)
		} else {
			next.Certificates[addr] = c.DeepCopy()
		}
	}
	return k.Persist(ctx, next)
}

func (k *Backend) write(ctx context.Context, data []byte) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	compressed := buf.Bytes()
	gen := newGeneration()
	secrets := k.Client.CoreV1().Secrets(k.Namespace)
	labels := map[string]string{"app.kubernetes.io/managed-by": "certform", labelStateOf: k.Name}
	var chunks [][]byte
	for len(compressed) > partSize {
		chunks, compressed = append(chunks, compressed[:partSize]), compressed[partSize:]
	}
	chunks = append(chunks, compressed)
	for i := 1; i < len(chunks); i++ {
		part := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: k.partName(gen, i), Labels: labels},
			Data: map[string][]byte{stateKey: chunks[i]}}
		if _, err := secrets.Create(ctx, part, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("writing state part %d to %s: %w", i, k.Describe(), err)
		}
	}
	main := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: k.Name, Labels: maps.Clone(labels), ResourceVersion: k.rv,
			Annotations: map[string]string{annoGeneration: gen, annoParts: strconv.Itoa(len(chunks))}},
		Data: map[string][]byte{stateKey: chunks[0]},
	}
	var written *corev1.Secret
	var err error
	if k.rv == "" {
		written, err = secrets.Create(ctx, main, metav1.CreateOptions{})
	} else {
		written, err = secrets.Update(ctx, main, metav1.UpdateOptions{})
	}
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		k.deleteParts(ctx, gen)
		return fmt.Errorf("state in %s was changed by another writer since it was read; nothing was overwritten, run again", k.Describe())
	}
	if err != nil {
		k.deleteParts(ctx, gen)
		return fmt.Errorf("writing state to %s: %w", k.Describe(), err)
	}
	k.deleteParts(ctx, k.generation)
	k.rv, k.generation = written.ResourceVersion, gen
	return nil
}

// deleteParts removes the part Secrets of a generation (best effort: a
// leftover part is never read, since the main Secret names its generation).
func (k *Backend) deleteParts(ctx context.Context, gen string) {
	if gen == "" {
		return
	}
	list, err := k.Client.CoreV1().Secrets(k.Namespace).List(ctx, metav1.ListOptions{LabelSelector: labelStateOf + "=" + k.Name})
	if err != nil {
		return
	}
	prefix := k.Name + "-part-" + gen + "-"
	for _, s := range list.Items {
		if len(s.Name) > len(prefix) && s.Name[:len(prefix)] == prefix {
			k.Client.CoreV1().Secrets(k.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{})
		}
	}
}

func newGeneration() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Permissions lists what the backend does in the cluster during a run:
// reading and writing its Secrets, and holding its Lease.
func (k *Backend) Permissions() []kube.Access {
	var out []kube.Access
	for _, v := range []string{"get", "create", "update", "list", "delete"} {
		out = append(out, kube.Access{Verb: v, Resource: "secrets", Namespace: k.Namespace, Why: "keep the state in " + k.Describe()})
	}
	for _, v := range []string{"get", "create", "update"} {
		out = append(out, kube.Access{Verb: v, Group: coordv1.GroupName, Resource: "leases", Namespace: k.Namespace, Why: "hold the state lock, " + k.LockName()})
	}
	return out
}

var _ backend.Backend = (*Backend)(nil)
