package plan

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/certform/certform/config"
)

// CA is one certificate of a bundle, as plans show it.
type CA struct {
	Fingerprint string
	Subject     string
	NotAfter    time.Time
}

// BundleChange is what happens to one ca_bundle address.
type BundleChange struct {
	Addr    string
	Action  Action // Create, Update, Delete or NoOp, summarising the targets
	Targets []*TargetChange
	// Files are the ca_file outputs that take this bundle, for showing
	// where else its content goes (their certificates' changes rewrite
	// them).
	Files   []BundleFile
	Reasons []string
}

// BundleFile is a certificate's ca_file that receives a bundle.
type BundleFile struct {
	Addr string // the certificate's address
	Path string
}

// TargetChange is one ConfigMap or Secret of a bundle.
type TargetChange struct {
	Kind                 string // config.TargetConfigMap or config.TargetSecret
	Namespace, Name, Key string
	Action               Action // Create, Update, Delete or NoOp
	Adopt                bool   // the target block adopts an object certform did not create
	Added, Removed       []CA
	Kept                 []CA   // published already and staying
	PEM                  []byte // the content to publish (nil for Delete)
	Fingerprints         []string
}

// planBundles compares each bundle's desired content with what is
// published, and plans the removal of published ConfigMaps no bundle wants.
func planBundles(desired *config.Config, world World) []*BundleChange {
	var out []*BundleChange
	wanted := map[string]bool{}
	for _, b := range desired.CABundles {
		if len(b.Targets) == 0 {
			continue
		}
		rb := world.Bundles[b.Addr]
		ch := &BundleChange{Addr: b.Addr, Action: NoOp, Files: bundleFiles(desired, b.Addr)}
		pemData, fps := bundlePEM(rb.CAs)
		for _, rt := range rb.Targets {
			for _, ns := range rt.Namespaces {
				key := PublishedKey(rt.Kind, ns, rt.Name)
				wanted[key] = true
				t := &TargetChange{Kind: rt.Kind, Namespace: ns, Name: rt.Name, Key: rt.Key, PEM: pemData, Fingerprints: fps, Action: NoOp, Adopt: rt.Adopt}
				pub, exists := world.Published[key]
				switch {
				case !exists:
					t.Action, t.Added = Create, caList(rb.CAs, nil)
				case pub.Key != t.Key || !slices.Equal(pub.Fingerprints, fps):
					t.Action = Update
					t.Added = caList(rb.CAs, pub.Fingerprints)
					t.Removed = removedCAs(pub.Fingerprints, fps, world.KnownCAs)
					t.Kept = keptCAs(rb.CAs, pub.Fingerprints)
				default:
					t.Kept = keptCAs(rb.CAs, pub.Fingerprints)
				}
				ch.Targets = append(ch.Targets, t)
			}
		}
		ch.Action = summarise(ch.Targets)
		out = append(out, ch)
	}
	// Published ConfigMaps that no bundle wants any more: deleted.
	gone := map[string]*BundleChange{}
	for _, key := range sortedKeys(world.Published) {
		if wanted[key] {
			continue
		}
		pub := world.Published[key]
		ch := gone[pub.Addr]
		if ch == nil {
			ch = &BundleChange{Addr: pub.Addr, Reasons: []string{"not in configuration"}}
			gone[pub.Addr] = ch
			out = append(out, ch)
		}
		ch.Targets = append(ch.Targets, &TargetChange{Kind: pub.Kind, Namespace: pub.Namespace, Name: pub.Name, Key: pub.Key,
			Action: Delete, Removed: removedCAs(pub.Fingerprints, nil, world.KnownCAs)})
		ch.Action = summarise(ch.Targets)
	}
	slices.SortFunc(out, func(a, b *BundleChange) int { return strings.Compare(a.Addr, b.Addr) })
	return out
}

// bundleFiles lists the ca_file outputs of desired that take the bundle
// at addr, by certificate address.
func bundleFiles(desired *config.Config, addr string) []BundleFile {
	var out []BundleFile
	for _, c := range desired.Certificates {
		if c.HasFiles() && c.Output.CABundle == addr && c.Output.CAFile != "" {
			out = append(out, BundleFile{Addr: c.Addr, Path: filepath.Clean(c.Output.CAFile)})
		}
	}
	slices.SortFunc(out, func(a, b BundleFile) int { return strings.Compare(a.Addr, b.Addr) })
	return out
}

// summarise is the bundle's action: its targets' action when they agree,
// else Update.
func summarise(targets []*TargetChange) Action {
	a := NoOp
	for _, t := range targets {
		switch {
		case t.Action == NoOp || t.Action == a:
		case a == NoOp:
			a = t.Action
		default:
			a = Update
		}
	}
	return a
}

// bundlePEM is the published content: the CAs in fingerprint order.
func bundlePEM(cas []*x509.Certificate) ([]byte, []string) {
	var data []byte
	var fps []string
	for _, c := range cas {
		data = append(data, pemOf(c)...)
		fps = append(fps, config.Fingerprint(c))
	}
	return data, fps
}

func caList(cas []*x509.Certificate, except []string) []CA {
	var out []CA
	for _, c := range cas {
		if fp := config.Fingerprint(c); !slices.Contains(except, fp) {
			out = append(out, CA{Fingerprint: fp, Subject: c.Subject.String(), NotAfter: c.NotAfter.UTC()})
		}
	}
	return out
}

// keptCAs are the CAs of cas that were published already.
func keptCAs(cas []*x509.Certificate, published []string) []CA {
	var out []CA
	for _, c := range cas {
		if fp := config.Fingerprint(c); slices.Contains(published, fp) {
			out = append(out, CA{Fingerprint: fp, Subject: c.Subject.String(), NotAfter: c.NotAfter.UTC()})
		}
	}
	return out
}

func removedCAs(old, now []string, known map[string]*x509.Certificate) []CA {
	var out []CA
	for _, fp := range old {
		if slices.Contains(now, fp) {
			continue
		}
		ca := CA{Fingerprint: fp, Subject: "(unknown)"}
		if c := known[fp]; c != nil {
			ca.Subject, ca.NotAfter = c.Subject.String(), c.NotAfter.UTC()
		}
		out = append(out, ca)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// trustGuard finds CA removals that would strand a certificate certform
// manages: one that chains to a removed CA and to no CA the bundle keeps.
// Certificates the same plan deletes (destroy, or a block removed together
// with its bundle) strand nothing.
func trustGuard(changes []*BundleChange, world World, deleted map[string]bool) []string {
	var blocked []string
	for _, ch := range changes {
		for _, t := range ch.Targets {
			for _, r := range t.Removed {
				for _, addr := range sortedKeys(world.Issuers) {
					issuers := world.Issuers[addr]
					if deleted[addr] || !slices.Contains(issuers, r.Fingerprint) || slices.ContainsFunc(issuers, func(fp string) bool { return slices.Contains(t.Fingerprints, fp) }) {
						continue
					}
					blocked = append(blocked, fmt.Sprintf("%s would drop CA %s (sha256 %s) from %s/%s, but %s chains only to it",
						ch.Addr, r.Subject, short(r.Fingerprint), t.Namespace, t.Name, addr))
				}
			}
		}
	}
	return blocked
}

func short(fp string) string {
	if len(fp) > 16 {
		return fp[:16]
	}
	return fp
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
