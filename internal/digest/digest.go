package digest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"syscall"

	"github.com/certform/certform/internal/formats"
	"github.com/certform/certform/internal/pki"
)

// SHA256 is the hex SHA-256 of data, as state records files.
func SHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// File is one file as found on disk.
type File struct {
	Exists bool
	SHA256 string
	Mode   fs.FileMode
}

// OfFile reads one path: its content's hash and its mode, from one open.
// A missing file is an observation (Exists false), not an error. It calls
// the system directly, through a buffer of its own: an *os.File costs a
// poller registration, a finalizer and, through io.Copy, 32 KiB of garbage
// per file, which at tens of thousands of outputs was most of what a plan
// allocated.
func OfFile(path string) (File, error) {
	var st syscall.Stat_t
	return OfFileStat(path, &st)
}

// OfFileStat is OfFile that also fills st with the fstat of the open file,
// taken before its first read (zero when the file is missing): a caller
// that remembers hashes by it (internal/fileindex) sees a change made
// during the read as a change, since it moves the file's ctime.
func OfFileStat(path string, st *syscall.Stat_t) (File, error) {
	*st = syscall.Stat_t{}
	var fd int
	err := retry(func() (err error) { fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); return err })
	if errors.Is(err, fs.ErrNotExist) {
		return File{}, nil
	}
	if err != nil {
		return File{}, &fs.PathError{Op: "reading", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	if err := retry(func() error { return syscall.Fstat(fd, st) }); err != nil {
		return File{}, &fs.PathError{Op: "reading", Path: path, Err: err}
	}
	h := sha256.New()
	var buf [8 << 10]byte
	for read := int64(0); ; {
		var n int
		err := retry(func() (err error) { n, err = syscall.Read(fd, buf[:]); return err })
		if err != nil {
			return File{}, &fs.PathError{Op: "reading", Path: path, Err: err}
		}
		if n <= 0 {
			break
		}
		h.Write(buf[:n])
		// A regular file read to the size fstat gave, in a read that did
		// not fill the buffer, is read: a further read would only say so
		// (a fifth of the system calls of hashing thousands of small files).
		if read += int64(n); st.Mode&syscall.S_IFMT == syscall.S_IFREG && n < len(buf) && read == st.Size {
			break
		}
	}
	var sum [sha256.Size]byte
	return File{Exists: true, SHA256: hex.EncodeToString(h.Sum(sum[:0])), Mode: fs.FileMode(st.Mode) & fs.ModePerm}, nil
}

// retry calls f again while a signal interrupts it.
func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}

// OfSecret is the SHA-256 state records for a TLS Secret's data: its
// tls.crt, tls.key and ca.crt, each length-prefixed, in that order, then
// those of the extra formats' keys it holds (keystore.p12, ...), sorted: a
// Secret without them digests as before they existed.
func OfSecret(data map[string][]byte) string {
	var all []byte
	for _, k := range []string{"tls.crt", "tls.key", "ca.crt"} {
		all = append(all, fmt.Sprintf("%s:%d:", k, len(data[k]))...)
		all = append(all, data[k]...)
	}
	for _, k := range extraSecretKeys {
		if v, ok := data[k]; ok {
			all = append(all, fmt.Sprintf("%s:%d:", k, len(v))...)
			all = append(all, v...)
		}
	}
	return SHA256(all)
}

// extraSecretKeys are the data keys the extra formats add, sorted.
var extraSecretKeys = func() []string {
	keys := formats.AllSecretKeys()
	slices.Sort(keys)
	return keys
}()

// TLS is what a kubernetes.io/tls Secret holds, as fingerprints: never the
// key itself.
type TLS struct {
	// KeySHA256 is the SHA-256 of tls.key's SubjectPublicKeyInfo, as state
	// records keys; "" when tls.key is not a private key.
	KeySHA256 string
	// Serial is tls.crt's leaf serial number, hex as state records it;
	// "" when tls.crt holds no certificate.
	Serial string
}

// OfTLS summarises a kubernetes.io/tls Secret's data as fingerprints: the
// key is parsed in memory only, to learn its public key's fingerprint, and
// goes nowhere else.
func OfTLS(data map[string][]byte) TLS {
	var out TLS
	if key, err := pki.ParsePrivateKeyPEM(data["tls.key"]); err == nil {
		out.KeySHA256, _ = pki.Fingerprint(key.Public())
	}
	if chain, err := pki.ParseCertificatesPEM(data["tls.crt"]); err == nil && len(chain) > 0 {
		out.Serial = chain[0].SerialNumber.Text(16)
	}
	return out
}
