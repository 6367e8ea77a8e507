package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/workdir"
)

// Other formats are made from the same material as the PEM outputs: the
// key, the chain and the CA bundle. A keystore already holding exactly
// what would be written keeps its bytes (its salts are random), so an
// update that changes nothing of it leaves it, its digest and its readers
// alone.

// delivery encodes one certificate's extra formats.
type delivery struct {
	m        formats.Material
	caPEM    []byte // the truststores' CAs as PEM; nil when there are none
	password config.Password
}

// newDelivery parses m for c's extra formats, reading the keystore
// password; nil when c asks for none.
func (r *runner) newDelivery(ctx context.Context, c *config.Certificate, m material) (*delivery, error) {
	if len(c.Output.Extra) == 0 && (c.Secret == nil || len(c.Secret.Formats) == 0) {
		return nil, nil
	}
	d := &delivery{}
	if ca, err := r.caPEM(c, m.certPEM); err == nil {
		d.caPEM = ca
	}
	var err error
	if d.m, err = formats.NewMaterial(m.keyPEM, m.certPEM, d.caPEM); err != nil {
		return nil, fmt.Errorf("encoding keystores: %w", err)
	}
	d.password, err = c.Keystore.Resolve(func(ref config.SecretKeyRef) ([]byte, error) {
		return r.secretKeys.Get(ctx, ref.Namespace, ref.Name, ref.Key)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// encode returns kind's bytes: old when it already holds the material,
// else a new encoding.
func (d *delivery) encode(kind formats.Kind, old []byte) ([]byte, error) {
	if formats.Holds(kind, old, d.m, d.password.Reveal()) {
		return old, nil
	}
	return formats.Encode(kind, d.m, d.password.Reveal())
}

// file encodes one extra file, reusing what path (relative ones in dir)
// holds when it is current.
func (d *delivery) file(kind formats.Kind, path string, dir workdir.Dir) ([]byte, error) {
	old, _ := limits.ReadFile(dir.Path(path), limits.SmallFile) // missing or unreadable: written anew
	data, err := d.encode(kind, old)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return data, nil
}

// sourceSHA256 is what a truststore records it was made of.
func (d *delivery) sourceSHA256(kind formats.Kind) string {
	if !kind.Truststore() {
		return ""
	}
	return digest.SHA256(d.caPEM)
}

// secretData adds the Secret formats' keys to data, reusing those of old
// that are current, and returns the keys added, sorted.
func (d *delivery) secretData(c *config.Certificate, data, old map[string][]byte) ([]string, error) {
	if d == nil || c.Secret == nil {
		return nil, nil
	}
	wanted := formats.SecretKeys(c.Secret.Formats, len(d.m.CAs) > 0)
	for _, key := range slices.Sorted(maps.Keys(wanted)) {
		v, err := d.encode(wanted[key], old[key])
		if err != nil {
			return nil, fmt.Errorf("Secret %s/%s key %s: %w", c.Secret.Namespace, c.Secret.Name, key, err)
		}
		data[key] = v
	}
	return slices.Sorted(maps.Keys(wanted)), nil
}
