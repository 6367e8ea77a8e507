package refresh

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/kube"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/refresh/observed"
	"github.com/certform/certform/state"
)

// Keystores carry random salts, so the planner cannot tell from their
// bytes whether they are current; what refresh can tell is whether each
// still opens with the password configured now (observed.World.Unopened).

// secretMeta records a certificate Secret's labels and annotations.
func secretMeta(w *observed.World, s *corev1.Secret) {
	if w.SecretMeta == nil {
		w.SecretMeta = map[string]observed.ObjectMeta{}
	}
	w.SecretMeta[s.Namespace+"/"+s.Name] = observed.ObjectMeta{Labels: maps.Clone(s.Labels), Annotations: maps.Clone(s.Annotations)}
}

// unopened tries every keystore certform recorded for a configured
// certificate, in files and in its Secret (data, by "namespace/name"),
// with the password configured now, and records those that do not open.
// A keystore that no longer holds what was recorded is left to the digest
// checks.
func unopened(ctx context.Context, secrets corev1client.SecretsGetter, cfg *config.Config, prior *state.State,
	data map[string]map[string][]byte, w *observed.World) error {
	keys := kube.NewSecretKeys(secrets)
	for _, c := range cfg.Certificates {
		rec := prior.Certificates[c.Addr]
		if c.Keystore == nil || rec == nil {
			continue
		}
		password, err := c.Keystore.Resolve(func(ref config.SecretKeyRef) ([]byte, error) {
			return keys.Get(ctx, ref.Namespace, ref.Name, ref.Key)
		})
		if err != nil {
			return fmt.Errorf("%s: %w", c.Addr, err)
		}
		check := func(id string, kind formats.Kind, content []byte) {
			if !formats.Opens(kind, content, password.Reveal()) {
				if w.Unopened == nil {
					w.Unopened = map[string]bool{}
				}
				w.Unopened[id] = true
			}
		}
		for path, f := range rec.Files {
			kind := formats.Kind(f.Role)
			if !kind.Keystore() || w.Files[path].SHA256 != f.SHA256 {
				continue
			}
			if content, err := limits.ReadFile(cfg.Dir.Path(path), limits.SmallFile); err == nil {
				check(path, kind, content)
			}
		}
		if s := rec.Secret; s != nil && data[s.Namespace+"/"+s.Name] != nil {
			all := formats.SecretKeys(formats.Names, true)
			for _, k := range s.Keys {
				if kind := all[k]; kind.Keystore() {
					check(observed.UnopenedKey(s.Namespace, s.Name, k), kind, data[s.Namespace+"/"+s.Name][k])
				}
			}
		}
	}
	return nil
}
