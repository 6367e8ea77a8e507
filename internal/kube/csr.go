package kube

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	certv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certclient "k8s.io/client-go/kubernetes/typed/certificates/v1"
	"k8s.io/client-go/util/retry"
)

// CSRs is the CSR client certform depends on.
type CSRs = certclient.CertificateSigningRequestInterface

// Labels and annotations on the CSR objects certform creates.
const (
	LabelManagedBy  = "app.kubernetes.io/managed-by"
	ManagedByValue  = "certform"
	LabelLineage    = "certform.dev/lineage"
	AnnotationAddr  = "certform.dev/address"
	AnnotationKey   = "certform.dev/key" // the data key of a published CA bundle
	ApprovalReason  = "CertformSelfApprove"
	approvalMessage = "approved by certform (self_approve = true)"
)

// Selector selects the CSRs of one state lineage.
func Selector(lineage string) string {
	return LabelManagedBy + "=" + ManagedByValue + "," + LabelLineage + "=" + lineage
}

// SubmitRequest is a CSR object to create.
type SubmitRequest struct {
	Name              string
	Addr              string
	Lineage           string
	Request           []byte // PEM PKCS#10
	SignerName        string
	Usages            []string
	ExpirationSeconds int32 // 0: the signer's default
	// Matches decides whether an existing object of the same name carries
	// our request (same key, same content); nil adopts nothing.
	Matches func(request []byte) error
}

// ConflictError is returned by Submit when an object of the same name exists
// and was not made from our request.
type ConflictError struct{ Name, Why string }

func (e *ConflictError) Error() string {
	return fmt.Sprintf("CSR %s already exists and %s", e.Name, e.Why)
}

// Submit creates the CSR object. On AlreadyExists it reuses the existing
// object only when it carries exactly our request (same key, same content),
// which makes a resumed submission idempotent.
func Submit(ctx context.Context, client CSRs, r SubmitRequest) (*certv1.CertificateSigningRequest, error) {
	obj := &certv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{
			Name:        r.Name,
			Labels:      map[string]string{LabelManagedBy: ManagedByValue, LabelLineage: r.Lineage},
			Annotations: map[string]string{AnnotationAddr: r.Addr},
		},
		Spec: certv1.CertificateSigningRequestSpec{
			Request:    r.Request,
			SignerName: r.SignerName,
			Usages:     keyUsages(r.Usages),
		},
	}
	if r.ExpirationSeconds > 0 {
		obj.Spec.ExpirationSeconds = &r.ExpirationSeconds
	}
	created, err := client.Create(ctx, obj, metav1.CreateOptions{})
	if err == nil {
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating CSR %s: %w", r.Name, explain(err, ruleCreate))
	}
	existing, err := client.Get(ctx, r.Name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading existing CSR %s: %w", r.Name, explain(err, ruleCreate))
	}
	if existing.Labels[LabelLineage] != r.Lineage {
		return nil, &ConflictError{Name: r.Name, Why: "was not made by this configuration's state; delete it or set csr_name to another name"}
	}
	if existing.Spec.SignerName != r.SignerName {
		return nil, &ConflictError{Name: r.Name, Why: fmt.Sprintf("asks signer %s, not %s", existing.Spec.SignerName, r.SignerName)}
	}
	if !bytes.Equal(existing.Spec.Request, r.Request) {
		if r.Matches == nil {
			return nil, &ConflictError{Name: r.Name, Why: "holds a different request"}
		}
		if err := r.Matches(existing.Spec.Request); err != nil {
			return nil, &ConflictError{Name: r.Name, Why: err.Error() + "; delete it or set csr_name to another name"}
		}
	}
	return existing, nil
}

// Approve adds the Approved condition through the /approval subresource.
// csr may be a stale copy: on a conflict it reads the object again and
// retries (retry.DefaultRetry).
func Approve(ctx context.Context, client CSRs, csr *certv1.CertificateSigningRequest) (*certv1.CertificateSigningRequest, error) {
	var updated *certv1.CertificateSigningRequest
	name, stale := csr.Name, false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if stale {
			fresh, err := client.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("reading CSR %s to approve it: %w", name, explain(err, ruleRead))
			}
			csr = fresh
		}
		stale = true
		var err error
		updated, err = approveOnce(ctx, client, csr)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

func approveOnce(ctx context.Context, client CSRs, csr *certv1.CertificateSigningRequest) (*certv1.CertificateSigningRequest, error) {
	if IsApproved(csr) {
		return csr, nil
	}
	if _, refused := Refusal(csr); refused {
		return csr, nil // denied or failed: Wait reports it
	}
	csr = csr.DeepCopy()
	csr.Status.Conditions = append(csr.Status.Conditions, certv1.CertificateSigningRequestCondition{
		Type:           certv1.CertificateApproved,
		Status:         corev1.ConditionTrue,
		Reason:         ApprovalReason,
		Message:        approvalMessage,
		LastUpdateTime: metav1.Now(),
	})
	updated, err := client.UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{})
	if err != nil {
		if apierrors.IsConflict(err) {
			return nil, err
		}
		return nil, fmt.Errorf("approving CSR %s: %w", csr.Name, explain(err, rulesApprove(csr.Spec.SignerName)...))
	}
	return updated, nil
}

// IsApproved reports whether csr has a true Approved condition.
func IsApproved(csr *certv1.CertificateSigningRequest) bool {
	_, ok := condition(csr, certv1.CertificateApproved)
	return ok
}

// Refusal returns the Denied or Failed condition of csr, if any.
func Refusal(csr *certv1.CertificateSigningRequest) (certv1.CertificateSigningRequestCondition, bool) {
	if c, ok := condition(csr, certv1.CertificateDenied); ok {
		return c, true
	}
	return condition(csr, certv1.CertificateFailed)
}

func condition(csr *certv1.CertificateSigningRequest, t certv1.RequestConditionType) (certv1.CertificateSigningRequestCondition, bool) {
	for _, c := range csr.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return c, true
		}
	}
	return certv1.CertificateSigningRequestCondition{}, false
}

func keyUsages(usages []string) []certv1.KeyUsage {
	out := make([]certv1.KeyUsage, len(usages))
	for i, u := range usages {
		out[i] = certv1.KeyUsage(u)
	}
	return out
}

// CSRAccess is the permission to verb CSR objects, cluster-wide.
func CSRAccess(verb, why string) Access {
	return Access{Verb: verb, Group: certv1.GroupName, Resource: "certificatesigningrequests", Why: why}
}

// ApproveAccess is what approving a CSR for signer takes: update on the
// approval subresource, and approve on the signer, by its name or its
// domain's wildcard.
func ApproveAccess(signer string) []Access {
	alt := ""
	if domain, _, ok := strings.Cut(signer, "/"); ok {
		alt = domain + "/*"
	}
	why := "approve CSRs for " + signer + " (self_approve)"
	return []Access{
		{Verb: "update", Group: certv1.GroupName, Resource: "certificatesigningrequests/approval", Why: why},
		{Verb: "approve", Group: certv1.GroupName, Resource: "signers", Name: signer, AltName: alt, Why: why},
	}
}

// RBAC rules named in permission errors.
var (
	ruleCreate = Rule{APIGroups: []string{certv1.GroupName}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"create", "get"}}
	ruleRead   = Rule{APIGroups: []string{certv1.GroupName}, Resources: []string{"certificatesigningrequests"}, Verbs: []string{"get", "list", "watch"}}
)

func rulesApprove(signer string) []Rule {
	var rules []Rule
	for _, a := range ApproveAccess(signer) {
		rules = append(rules, RuleFor(a))
	}
	return rules
}
