package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/certform/certform/apply"
	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/atomicfile"
	"github.com/certform/certform/internal/digest"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// ImportOptions are import's flags and argument.
type ImportOptions struct {
	Addr        string
	KeyFile     string
	CertFile    string
	LockTimeout time.Duration
}

var cmdImport = &command{
	name: "import", args: "ADDR", summary: "adopt an existing key and certificate",
	desc: `Adopts a key and certificate made another way (cfssl and kubectl, say) for the configured
address ADDR, so a team moves to certform without reissuing: the pair must match, the key be of
the block's algorithm and size, and the certificate be what the block asks for (the error lists
every difference). They are written to the block's output paths and recorded as issued. The
--key and --cert paths are taken from where certform was started, not from --chdir.`,
	examples: []string{
		"certform import certificate.web --key server-key.pem --cert server.crt",
		"certform import 'certificate.web[\"a\"]' --key a-key.pem --cert a.crt",
	},
	globals: gAll,
	new:     func() Options { return &ImportOptions{} },
}

// AddFlags adds import's flags.
func (o *ImportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.KeyFile, "key", "", "the private key `FILE` (PEM)")
	fs.StringVar(&o.CertFile, "cert", "", "the certificate `FILE` (PEM; a chain after the leaf is kept)")
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
}

// Complete takes the address.
func (o *ImportOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) == 1 {
		o.Addr = args[0]
	}
	return nil
}

// Validate requires the address and both files.
func (o *ImportOptions) Validate() error {
	if o.Addr == "" || o.KeyFile == "" || o.CertFile == "" {
		return withHint(errors.New("import takes an address, --key and --cert"), `certform import 'certificate.my-svc' --key server-key.pem --cert server.crt`)
	}
	return nil
}

// Run imports import ADDR --key FILE --cert FILE: adopt a key and
// certificate made another way for a configured address. The pair must
// match, and the certificate must be what the block asks for; the files
// are then written to the block's output paths and recorded as issued.
func (o *ImportOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	addr := o.Addr
	// --key and --cert are taken from where certform was started, not from
	// --chdir: they name files the user has at hand.
	keyPEM, err := limits.ReadFile(o.KeyFile, limits.SmallFile)
	if err != nil {
		return exitError, fmt.Errorf("reading key: %w", err)
	}
	certPEM, err := limits.ReadFile(o.CertFile, limits.SmallFile)
	if err != nil {
		return exitError, fmt.Errorf("reading certificate: %w", err)
	}
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	c := w.certificate(addr)
	if c == nil {
		return exitError, withHint(fmt.Errorf("%s is not in the configuration", addr), "declare its certificate block first, then import into it")
	}
	if !c.HasFiles() {
		return exitError, withHint(fmt.Errorf("%s has no output block: import writes the key and certificate to its files", addr),
			"add an output block, import, and apply (which writes the Secret from the files); the output block can go afterwards")
	}
	if ctx, err = w.lock(ctx, "import", o.LockTimeout); err != nil {
		return exitError, err
	}
	defer w.backend.Unlock(context.WithoutCancel(ctx))
	st, err := w.loadState(ctx)
	if err != nil {
		return exitError, err
	}
	if _, taken := st.Certificates[addr]; taken {
		return exitError, withHint(fmt.Errorf("%s is already in state", addr), "remove it first with certform state rm "+addr)
	}
	imp, err := apply.VerifyImport(c, keyPEM, certPEM, time.Now())
	var ie *apply.ImportError
	if errors.As(err, &ie) {
		return exitError, withHint(err, ie.Hint)
	}
	if err != nil {
		return exitError, err
	}
	chain := imp.Chain
	rec, err := writeImported(w.cfg.Dir, c, imp.Key, certPEM)
	if err != nil {
		return exitError, err
	}
	rec.Addr, rec.Request, rec.KeySHA256, rec.Status = addr, plan.RequestOf(c), imp.KeySHA256, state.StatusIssued
	// The block's cluster, by name: its identity is recorded by the next
	// apply, which reaches it (import reads files, not the cluster).
	rec.Cluster = state.Cluster{Name: c.Cluster}
	rec.SerialNumber, rec.NotBefore, rec.NotAfter = chain[0].SerialNumber.Text(16), chain[0].NotBefore.UTC(), chain[0].NotAfter.UTC()
	st.Certificates[addr] = rec
	if err := w.backend.Persist(ctx, st); err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "Imported %s: serial %s, expires %s; written to %s and %s.\n",
		addr, rec.SerialNumber, rec.NotAfter.Format(time.RFC3339), c.Output.KeyFile, c.Output.CertFile)
	return exitOK, nil
}

// writeImported writes the key (in the configured encoding) and the
// certificate to their output paths (relative ones in dir) and returns the
// record of the files.
func writeImported(dir workdir.Dir, c *config.Certificate, key crypto.Signer, certPEM []byte) (*state.Certificate, error) {
	keyOut, err := pki.EncodePrivateKey(key, c.Key.Encoding)
	if err != nil {
		return nil, err
	}
	keyPath, certPath := filepath.Clean(c.Output.KeyFile), filepath.Clean(c.Output.CertFile)
	keyMode, certMode := c.Output.KeyFileMode, c.Output.FileMode
	err = atomicfile.WriteAll(
		atomicfile.File{Path: dir.Path(keyPath), Data: keyOut, Mode: keyMode},
		atomicfile.File{Path: dir.Path(certPath), Data: certPEM, Mode: certMode})
	if err != nil {
		return nil, err
	}
	return &state.Certificate{FilesOrigin: state.Here(dir), Files: map[string]state.File{
		keyPath:  {Role: state.RoleKey, SHA256: digest.SHA256(keyOut), Mode: keyMode},
		certPath: {Role: state.RoleCert, SHA256: digest.SHA256(certPEM), Mode: certMode},
	}}, nil
}
