package approver

import (
	"context"
	"crypto"
	"fmt"
	"sync"

	authnv1 "k8s.io/api/authentication/v1"
	certv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/certform/certform/internal/pki"
)

// Planned is a CSR certform would submit, described without its key: what
// plan knows before anything is generated.
type Planned struct {
	Request           pki.Request
	Key               pki.KeySpec
	SignerName        string
	Usages            []string
	ExpirationSeconds int32 // 0: not set
	// Annotations are those the submitted CSR will carry (certform's
	// certform.dev/address): a policy may allow-list annotation keys.
	Annotations map[string]string
}

// Identity is who would submit a CSR, as the apiserver would record it.
type Identity struct {
	Username string
	Groups   []string
	UID      string
	Extra    map[string][]string
}

// WhoAmI asks the apiserver who the client's credentials authenticate as
// (a SelfSubjectReview, what `kubectl auth whoami` shows): the requester
// its CSRs would carry.
func WhoAmI(ctx context.Context, client kubernetes.Interface) (Identity, error) {
	r, err := client.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return Identity{}, fmt.Errorf("asking the apiserver who these credentials are (SelfSubjectReview): %w", err)
	}
	u := r.Status.UserInfo
	id := Identity{Username: u.Username, Groups: u.Groups, UID: u.UID}
	if len(u.Extra) > 0 {
		id.Extra = map[string][]string{}
		for k, v := range u.Extra {
			id.Extra[k] = v
		}
	}
	return id, nil
}

// Predictor predicts the approver's verdicts on CSRs not yet submitted.
type Predictor struct {
	Policies []*Policy
	View     ClusterView // nil: policies with context rules are an error
	Who      Identity

	mu   sync.Mutex
	keys map[pki.KeySpec]crypto.Signer // one throwaway key per kind
}

// Predict decides the CSR p would become, exactly as the approver would
// decide it once submitted by the Predictor's identity. The request is
// signed with a throwaway key of the planned kind (the real key does not
// exist yet; what the rules judge is its kind and size).
func (pr *Predictor) Predict(ctx context.Context, p Planned) (Decision, error) {
	key, err := pr.key(p.Key)
	if err != nil {
		return Decision{}, err
	}
	pemReq, err := pki.CreateCSR(key, p.Request)
	if err != nil {
		return Decision{}, err
	}
	csr := &certv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "(planned)", Annotations: p.Annotations},
		Spec: certv1.CertificateSigningRequestSpec{Request: pemReq, SignerName: p.SignerName,
			Username: pr.Who.Username, Groups: pr.Who.Groups, UID: pr.Who.UID}}
	for k, v := range pr.Who.Extra {
		if csr.Spec.Extra == nil {
			csr.Spec.Extra = map[string]certv1.ExtraValue{}
		}
		csr.Spec.Extra[k] = v
	}
	for _, u := range p.Usages {
		csr.Spec.Usages = append(csr.Spec.Usages, certv1.KeyUsage(u))
	}
	if p.ExpirationSeconds > 0 {
		csr.Spec.ExpirationSeconds = &p.ExpirationSeconds
	}
	return DecideIn(ctx, csr, pr.Policies, pr.View, false)
}

func (pr *Predictor) key(spec pki.KeySpec) (crypto.Signer, error) {
	spec = spec.WithoutEncoding()
	pr.mu.Lock()
	defer pr.mu.Unlock()
	if k, ok := pr.keys[spec]; ok {
		return k, nil
	}
	k, err := pki.GenerateKey(spec)
	if err != nil {
		return nil, err
	}
	if pr.keys == nil {
		pr.keys = map[pki.KeySpec]crypto.Signer{}
	}
	pr.keys[spec] = k
	return k, nil
}
