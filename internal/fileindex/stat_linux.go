package fileindex

import "syscall"

// fingerprintOf is the fingerprint stat gave, and whether st is a regular
// file: only those are recorded or answered from the index.
func fingerprintOf(st *syscall.Stat_t) (Fingerprint, bool) {
	fp := Fingerprint{
		Dev:   uint64(st.Dev),
		Ino:   uint64(st.Ino),
		Size:  int64(st.Size),
		Mtime: st.Mtim.Nano(),
		Ctime: st.Ctim.Nano(),
		Mode:  uint32(st.Mode),
	}
	return fp, fp.Mode&syscall.S_IFMT == syscall.S_IFREG
}
