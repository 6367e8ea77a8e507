package keystore

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"

	"github.com/certform/certform/internal/pki"
)

func newKey(t *testing.T) crypto.Signer {
	t.Helper()
	key, err := pki.GenerateKey(pki.KeySpec{Algorithm: pki.ECDSA, Size: 256})
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestStore(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // before the first Put
		again func(t *testing.T, dir string) // between two Puts
	}{
		{name: "new directory"},
		{name: "existing directory open to others is made private", setup: func(t *testing.T, dir string) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "directory removed between puts", again: func(t *testing.T, dir string) {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Store{Dir: filepath.Join(t.TempDir(), "state", "pending-keys")}
			if tt.setup != nil {
				tt.setup(t, s.Dir)
			}
			if _, err := s.Put(newKey(t)); err != nil {
				t.Fatal(err)
			}
			if tt.again != nil {
				tt.again(t, s.Dir)
			}
			key := newKey(t)
			fp, err := s.Put(key)
			if err != nil {
				t.Fatal(err)
			}
			if st, err := os.Stat(s.Dir); err != nil || st.Mode().Perm() != 0o700 {
				t.Errorf("store directory: %v, %v; want 0700", st.Mode().Perm(), err)
			}
			if st, err := os.Stat(s.Path(fp)); err != nil || st.Mode().Perm() != 0o600 {
				t.Errorf("kept key: %v, %v; want 0600", st.Mode().Perm(), err)
			}
			got, err := s.Get(fp)
			if err != nil {
				t.Fatal(err)
			}
			if gotFP, _ := pki.Fingerprint(got.Public()); gotFP != fp {
				t.Errorf("Get returned the key %s, want %s", gotFP, fp)
			}
			if _, err := s.Put(key); err != nil { // the same key again: kept already
				t.Errorf("second Put of one key: %v", err)
			}
			fps, err := s.Fingerprints()
			if err != nil || !fps[fp] {
				t.Errorf("Fingerprints = %v, %v; want %s in it", fps, err, fp)
			}
			if err := s.Delete(fp); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Get(fp); err == nil {
				t.Error("Get after Delete succeeded")
			}
		})
	}
}

// TestGetRefusesAnotherKey: a file that holds another key than its name
// says is refused, not used.
func TestGetRefusesAnotherKey(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	fp, err := s.Put(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	other, err := pki.EncodePrivateKey(newKey(t), pki.PKCS8)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(fp), other, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(fp); err == nil {
		t.Fatal("Get returned a key whose fingerprint is not its name")
	}
}

// TestPutReplacesATornFile: a kept file cut short by a crash is replaced by
// the next Put of its key rather than kept (and later moved into place).
func TestPutReplacesATornFile(t *testing.T) {
	s := Store{Dir: t.TempDir()}
	key := newKey(t)
	fp, err := s.Put(key)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := os.ReadFile(s.Path(fp))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.Path(fp), whole[:len(whole)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(fp); err == nil {
		t.Fatal("Get accepted a torn file")
	}
	if _, err := s.Put(key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(fp); err != nil {
		t.Errorf("after Put again: %v", err)
	}
}
