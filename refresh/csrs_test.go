package refresh

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/state"
)

// csr creates a CSR object for k, named after the case's namespace and
// name, labelled with lineage (this state's unless given), for a signer
// no controller of the test cluster acts on: its progress is the case's.
func (e *env) csr(name string, k crypto.Signer, labels map[string]string) *certv1.CertificateSigningRequest {
	e.t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}}, k)
	if err != nil {
		e.t.Fatal(err)
	}
	if labels == nil {
		labels = e.ours()
	}
	obj := &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-" + name, Labels: labels},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: "example.com/refresh",
			Usages:     []certv1.KeyUsage{certv1.UsageDigitalSignature, certv1.UsageServerAuth},
		},
	}
	created, err := e.cs.CertificatesV1().CertificateSigningRequests().Create(context.Background(), obj, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return created
}

// decide adds a condition to csr through the subresource that takes it.
func (e *env) decide(csr *certv1.CertificateSigningRequest, t certv1.RequestConditionType, reason, message string) *certv1.CertificateSigningRequest {
	e.t.Helper()
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: message, LastUpdateTime: metav1.Now()})
	client := e.cs.CertificatesV1().CertificateSigningRequests()
	var err error
	if t == certv1.CertificateFailed {
		csr, err = client.UpdateStatus(context.Background(), csr, metav1.UpdateOptions{})
	} else {
		csr, err = client.UpdateApproval(context.Background(), csr.Name, csr, metav1.UpdateOptions{})
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return csr
}

// sign sets an approved csr's certificate, as a signer would.
func (e *env) sign(csr *certv1.CertificateSigningRequest, cert *x509.Certificate) {
	e.t.Helper()
	csr.Status.Certificate = pki.EncodeCertificates(cert)
	if _, err := e.cs.CertificatesV1().CertificateSigningRequests().UpdateStatus(context.Background(), csr, metav1.UpdateOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

// TestRefreshCSRs: certform's CSR objects of this lineage are observed in
// one List, each with its phase (pending, approved, issued, denied,
// failed) and the deciding condition; a recorded CSR that is gone is
// simply absent; the request's key is learned only for records being
// submitted; another lineage's objects, or objects without certform's
// label, are not listed at all.
func TestRefreshCSRs(t *testing.T) {
	// submitted records certificate.web with status and the CSR csr.
	submitted := func(e *env, status string, csr *certv1.CertificateSigningRequest) {
		e.record("certificate.web", state.Certificate{Status: status, CSRName: csr.Name, CSRUID: string(csr.UID)}, nil)
	}
	cases := map[string]func(e *env){
		"pending": func(e *env) { submitted(e, state.StatusPending, e.csr("web", e.key("web"), nil)) },
		"approved not yet signed": func(e *env) {
			submitted(e, state.StatusPending, e.decide(e.csr("web", e.key("web"), nil), certv1.CertificateApproved, "Test", "approved by the test"))
		},
		"issued": func(e *env) {
			k := e.key("web")
			csr := e.decide(e.csr("web", k, nil), certv1.CertificateApproved, "Test", "approved by the test")
			ca := e.key("ca")
			e.sign(csr, e.cert("web", k, e.cert("ca", ca, nil, nil, time.Now().Add(time.Hour)), ca, time.Now().Add(time.Hour)))
			submitted(e, state.StatusPending, csr)
		},
		"denied": func(e *env) {
			submitted(e, state.StatusPending, e.decide(e.csr("web", e.key("web"), nil), certv1.CertificateDenied, "PolicyDenied", "web is not allowed"))
		},
		"failed": func(e *env) {
			csr := e.decide(e.csr("web", e.key("web"), nil), certv1.CertificateApproved, "Test", "approved by the test")
			submitted(e, state.StatusPending, e.decide(csr, certv1.CertificateFailed, "SignerError", "the signer broke"))
		},
		"gone": func(e *env) {
			e.record("certificate.web", state.Certificate{Status: state.StatusPending, CSRName: e.ns + "-web", CSRUID: "3c0ffee0-0000-4000-8000-000000000000"}, nil)
		},
		"key learned only while submitting": func(e *env) {
			web, api := e.key("web"), e.key("api")
			e.record("certificate.web", state.Certificate{Status: state.StatusSubmitting, CSRName: e.csr("web", web, nil).Name, KeySHA256: e.fingerprint(web)}, nil)
			e.record("certificate.api", state.Certificate{Status: state.StatusPending, CSRName: e.csr("api", api, nil).Name, KeySHA256: e.fingerprint(api)}, nil)
		},
		"CSRs of another lineage or without the managed-by label are not listed": func(e *env) {
			submitted(e, state.StatusPending, e.csr("web", e.key("web"), nil))
			other := state.New().Lineage
			e.csr("other", e.key("other"), map[string]string{kube.LabelManagedBy: kube.ManagedByValue, kube.LabelLineage: other})
			e.csr("unmanaged", e.key("unmanaged"), map[string]string{kube.LabelLineage: e.st.Lineage})
			e.t.Cleanup(func() {
				e.cs.CertificatesV1().CertificateSigningRequests().DeleteCollection(context.Background(), metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: kube.LabelLineage + "=" + other})
			})
		},
		"an empty state lists nothing": func(e *env) { e.csr("web", e.key("web"), nil) },
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			setup(e)
			w, err := e.refresh(e.config(webConfig))
			if err != nil {
				t.Fatal(err)
			}
			golden(t, e.render(w))
		})
	}
}
