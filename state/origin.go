package state

import (
	"os"

	"github.com/certform/certform/internal/workdir"
)

// Origin is where a certificate's files were last written: the machine
// (its host name) and the directory the run worked in. With files only,
// that is where the private key is — state records the place, never the
// key — so a runner without the files can say honestly where the key went.
// With a Secret the Secret is the key's home and Origin only informs.
type Origin struct {
	Host string
	Dir  string
}

// Here is the Origin of a run whose configuration directory is dir: the
// host name ("" when unknown) and dir as an absolute path.
func Here(dir workdir.Dir) Origin {
	host, _ := os.Hostname()
	return Origin{Host: host, Dir: dir.Abs(".")}
}

// IsZero reports whether o records nothing.
func (o Origin) IsZero() bool { return o == Origin{} }
