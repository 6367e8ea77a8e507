package state

import "os"

// Origin is where a certificate's files were last written: the machine
// (its host name) and the directory the run worked in. With files only,
// that is where the private key is — state records the place, never the
// key — so a runner without the files can say honestly where the key went.
// With a Secret the Secret is the key's home and Origin only informs.
type Origin struct {
	Host string
	Dir  string
}

// Here is the Origin of a run in the current working directory: the host
// name and the absolute working directory, each "" when unknown.
func Here() Origin {
	host, _ := os.Hostname()
	dir, _ := os.Getwd()
	return Origin{Host: host, Dir: dir}
}

// IsZero reports whether o records nothing.
func (o Origin) IsZero() bool { return o == Origin{} }
