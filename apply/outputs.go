package apply

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// material is what a certificate's outputs are made of.
type material struct {
	keyPEM     []byte
	keyFrom    string // a synced file holding keyPEM to move into place, if any
	certPEM    []byte // status.certificate: the leaf, then any chain
	requestPEM []byte // the PKCS#10 request; nil when no longer known
}

// caPEM is what output.ca_file gets: the named bundle, else the chain the
// signer returned after the leaf.
func (r *runner) caPEM(c *config.Certificate, certPEM []byte) ([]byte, error) {
	if c.Output.CABundle != "" {
		return r.caContent[c.Output.CABundle], nil
	}
	chain, err := pki.ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, err
	}
	if len(chain) < 2 {
		return nil, errors.New("output.ca_file is set, but the signer returned no chain after the certificate; name a bundle with output.ca_bundle")
	}
	return pki.EncodeCertificates(chain[1:]...), nil
}

// roots is the CA pool a certificate must chain to, when it names a bundle.
func (r *runner) roots(c *config.Certificate) *x509.CertPool {
	if c.Output.CABundle == "" {
		return nil
	}
	return r.caPools[c.Output.CABundle]
}

// writeOutputs writes every file c asks for, atomically and together, and
// its Secret; it returns what to record. Directory syncs are left to the
// caller (dirs), which makes them durable before it records the result.
func (r *runner) writeOutputs(ctx context.Context, c *config.Certificate, m material) (map[string]state.File, *state.SecretRecord, []string, error) {
	var ca []byte
	var files []atomicfile.File
	records := map[string]state.File{}
	d, err := r.newDelivery(ctx, c, m)
	if err != nil {
		return nil, nil, nil, err
	}
	for _, out := range plan.Outputs(c) {
		f := atomicfile.File{Path: r.dir.Path(out.Path), Mode: out.Mode}
		var source string
		switch out.Role {
		case state.RoleKey:
			f.Data, f.From = m.keyPEM, m.keyFrom
		case state.RoleCert:
			f.Data = m.certPEM
		case state.RoleCA:
			var err error
			if ca, err = r.caPEM(c, m.certPEM); err != nil {
				return nil, nil, nil, err
			}
			f.Data = ca
		case state.RoleChain:
			f.Data = m.certPEM
			if c.Output.CABundle != "" {
				f.Data = append(append([]byte{}, m.certPEM...), r.caContent[c.Output.CABundle]...)
			}
		case state.RoleCSR:
			if m.requestPEM == nil {
				r.report(Event{Addr: c.Addr, Phase: PhaseWarning, Message: "csr_file not written: the request is no longer known (its CSR object is gone)"})
				continue
			}
			f.Data = m.requestPEM
		default:
			kind := formats.Kind(out.Role)
			if f.Data, err = d.file(kind, out.Path, r.dir); err != nil {
				return nil, nil, nil, err
			}
			source = d.sourceSHA256(kind)
		}
		files = append(files, f)
		records[out.Path] = state.File{Role: out.Role, SHA256: digest.SHA256(f.Data), Mode: out.Mode, SourceSHA256: source}
	}
	dirs, err := atomicfile.WriteAllUnsynced(files...)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.Secret == nil {
		return records, nil, dirs, nil
	}
	if ca == nil && c.Output.CABundle != "" {
		ca = r.caContent[c.Output.CABundle]
	}
	sec, err := r.writeSecret(ctx, c, m.keyPEM, m.certPEM, ca, d)
	return records, sec, dirs, err
}

// writeSecret server-side applies c's kubernetes.io/tls Secret.
func (r *runner) writeSecret(ctx context.Context, c *config.Certificate, keyPEM, certPEM, ca []byte, d *delivery) (*state.SecretRecord, error) {
	data := map[string][]byte{"tls.crt": certPEM, "tls.key": keyPEM}
	if len(ca) > 0 {
		data["ca.crt"] = ca
	}
	s := c.Secret
	cl, err := r.claimObject(ctx, config.TargetSecret, s.Namespace, s.Name, s.Adopt, "kubernetes.io/tls")
	if err != nil {
		return nil, err
	}
	keys, err := d.secretData(c, data, cl.data)
	if err != nil {
		return nil, err
	}
	// The template's labels and annotations first: certform's own (which
	// config refuses in a template) win.
	labels, annotations := maps.Clone(s.Labels), maps.Clone(s.Annotations)
	if labels == nil {
		labels = map[string]string{}
	}
	if annotations == nil {
		annotations = map[string]string{}
	}
	labels[kube.LabelManagedBy], labels[kube.LabelLineage] = kube.ManagedByValue, r.lineage
	annotations[kube.AnnotationAddr] = c.Addr
	sec := corev1ac.Secret(s.Name, s.Namespace).WithType("kubernetes.io/tls").
		WithLabels(labels).
		WithAnnotations(cl.annotate(annotations)).
		WithData(data)
	if cl.exists {
		sec.WithUID(cl.uid)
	}
	// Force only over an object already ours (or adopted): a new one is
	// created unforced, so an object that appears meanwhile conflicts.
	if _, err := r.opts.Core.Secrets(s.Namespace).Apply(ctx, sec, metav1.ApplyOptions{FieldManager: FieldManager, Force: cl.exists}); err != nil {
		return nil, fmt.Errorf("writing Secret %s/%s: %w", s.Namespace, s.Name, err)
	}
	rec := &state.SecretRecord{Namespace: s.Namespace, Name: s.Name, SHA256: digest.OfSecret(data), Keys: keys,
		Labels: maps.Clone(s.Labels), Annotations: maps.Clone(s.Annotations)}
	if d != nil && len(d.m.CAs) > 0 && slices.ContainsFunc(keys, func(k string) bool { return formats.SecretKeys(formats.Names, true)[k].Truststore() }) {
		rec.CASHA256 = digest.SHA256(d.caPEM)
	}
	return rec, nil
}

// deleteSecret removes a Secret certform wrote, if it is still certform's.
func (r *runner) deleteSecret(ctx context.Context, rec *state.SecretRecord) error {
	secrets := r.opts.Core.Secrets(rec.Namespace)
	sec, err := secrets.Get(ctx, rec.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading Secret %s/%s: %w", rec.Namespace, rec.Name, err)
	}
	if sec.Labels[kube.LabelLineage] != r.lineage {
		return fmt.Errorf("Secret %s/%s is not certform's any more; left in place", rec.Namespace, rec.Name)
	}
	if kube.OwnerOf(sec, r.lineage).Adopted {
		return r.release(ctx, config.TargetSecret, sec)
	}
	pre := metav1.Preconditions{UID: &sec.UID}
	if err := secrets.Delete(ctx, rec.Name, metav1.DeleteOptions{Preconditions: &pre}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting Secret %s/%s: %w", rec.Namespace, rec.Name, err)
	}
	return nil
}
