//go:build !linux

package fileindex

import "syscall"

// fingerprintOf reports no fingerprint where certform does not know how
// the system's stat spells ctime: every file is hashed, as without an
// index.
func fingerprintOf(*syscall.Stat_t) (Fingerprint, bool) { return Fingerprint{}, false }
