package keystore

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/certform/certform/internal/pki"
)

// DefaultDir is the store's directory, relative to the config directory.
const DefaultDir = ".certform/pending-keys"

// Store is a directory of pending keys.
type Store struct{ Dir string }

// Path is where the key with fingerprint is kept (in PKCS#8), so that a
// caller can move it into place instead of writing it again.
func (s Store) Path(fingerprint string) string { return s.path(fingerprint) }

func (s Store) path(fingerprint string) string {
	return filepath.Join(s.Dir, fingerprint+".pem")
}

// Put saves key under its fingerprint and returns the fingerprint; the
// store's directory is created 0700, or made so. The file is complete and
// synced when Put returns; its directory entry is not: sync Dir (once for
// many keys) before relying on the key surviving a crash of the machine.
func (s Store) Put(key crypto.Signer) (string, error) {
	fp, err := pki.Fingerprint(key.Public())
	if err != nil {
		return "", err
	}
	pemKey, err := pki.EncodePrivateKey(key, pki.PKCS8)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating key store: %w", err)
	}
	if err := os.Chmod(s.Dir, 0o700); err != nil {
		return "", fmt.Errorf("securing key store: %w", err)
	}
	// The name is the key's own fingerprint, so there is no old content to
	// replace atomically: write the file in place, synced. A crash
	// mid-write leaves a file Get refuses, which the planner treats as a
	// lost key.
	if err := writeNew(s.path(fp), pemKey); err != nil {
		return "", fmt.Errorf("keeping pending key: %w", err)
	}
	return fp, nil
}

// writeNew creates path holding data, synced. A file already there that
// holds data is the same key, kept by an earlier attempt; one that holds
// anything else (torn by a crash mid-write) is replaced, since collect may
// move the kept file into place as the key file.
func writeNew(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		if old, rerr := os.ReadFile(path); rerr == nil && bytes.Equal(old, data) {
			return nil
		}
		if err := os.Remove(path); err != nil {
			return err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return err
	}
	err = f.Chmod(0o600) // exactly 0600, whatever the umask
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

// Get loads the key with fingerprint; fs.ErrNotExist when it is not there.
func (s Store) Get(fingerprint string) (crypto.Signer, error) {
	data, err := os.ReadFile(s.path(fingerprint))
	if err != nil {
		return nil, err
	}
	key, err := pki.ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, fmt.Errorf("pending key %s: %w", fingerprint, err)
	}
	if fp, _ := pki.Fingerprint(key.Public()); fp != fingerprint {
		return nil, fmt.Errorf("pending key %s holds another key", fingerprint)
	}
	return key, nil
}

// Delete removes the key with fingerprint, if present. The removal is not
// synced: a key that reappears after a power loss is one the next run
// removes again.
func (s Store) Delete(fingerprint string) error {
	if err := os.Remove(s.path(fingerprint)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing pending key: %w", err)
	}
	return nil
}

// Fingerprints lists the keys in the store.
func (s Store) Fingerprints() (map[string]bool, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]bool{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading key store: %w", err)
	}
	out := map[string]bool{}
	for _, e := range entries {
		if fp, ok := strings.CutSuffix(e.Name(), ".pem"); ok && !strings.HasPrefix(fp, ".") {
			out[fp] = true
		}
	}
	return out, nil
}
