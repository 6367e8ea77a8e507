package fileindex

import (
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/certform/certform/internal/digest"
)

// Fingerprint is what stat says of a file, the key an entry's hash is
// trusted by. It says nothing of the content; use it only to decide
// whether a hash is still the file's.
type Fingerprint struct {
	Dev, Ino uint64
	Size     int64
	// Mtime and Ctime are nanoseconds since the epoch.
	Mtime, Ctime int64
	// Mode is st_mode: the file type and permission bits.
	Mode uint32
}

// entry is one remembered hash. used says this run looked it up or
// recorded it: Save keeps those first when the index outgrows its bound.
type entry struct {
	fp   Fingerprint
	sha  string
	used atomic.Bool
	seen atomic.Pointer[Fingerprint] // a stat this run already took (Seen)
	// at is when this run hashed the file (wall nanoseconds, taken before
	// its fstat), 0 for an entry loaded as it was saved: Save keeps it
	// only if its times are Margin older than that.
	at int64
}

// Index is the set of remembered hashes, by clean absolute path. The zero
// value is not usable: make one with New or Load. A nil *Index is valid
// and remembers nothing (File hashes every file). Safe for concurrent use.
type Index struct {
	mu      sync.RWMutex
	entries map[string]*entry
	dirty   bool // entries changed since loaded or saved

	unchanged, hashed atomic.Int64
}

// New is an empty index: every file is hashed once and recorded.
func New() *Index {
	return &Index{entries: map[string]*entry{}}
}

// hashFile is digest.OfFileStat; tests count through it.
var hashFile = digest.OfFileStat

// clock is the wall clock a hash is timed by; tests move it.
var clock = time.Now

// File observes path as digest.OfFile does: whether it exists, its
// content's hash and its permission bits. When the index holds path and a
// stat of it matches the entry's fingerprint in every field, the entry
// answers and the file is not opened; otherwise the file is hashed and
// the fingerprint fstat gave before the read is recorded. A path the
// index holds no entry for is hashed without a stat first, so that a run
// without an index costs what it did before. A path that is not clean and
// absolute, or holds a control character, is hashed and never recorded.
func (x *Index) File(path string) (digest.File, error) {
	if x == nil || !indexable(path) {
		return digest.OfFile(path)
	}
	x.mu.RLock()
	e := x.entries[path]
	x.mu.RUnlock()
	if e != nil {
		if f, ok := e.answer(path); ok {
			x.unchanged.Add(1)
			return f, nil
		}
	}
	var st syscall.Stat_t
	at := clock().UnixNano() // before the fstat: see Margin
	f, err := hashFile(path, &st)
	x.hashed.Add(1)
	x.record(path, e, f, &st, err, at)
	return f, err
}

// Seen tells the index what a stat (or an lstat of a regular file) of
// path, taken by this run just before, found: the next File(path) takes
// it instead of a stat of its own, once. The same-file check looks at
// every output just before refresh hashes them (samefile.CheckSeeing), so
// one system call serves both. A path the index holds no entry for is
// ignored, as is anything but a regular file. Safe for concurrent use.
func (x *Index) Seen(path string, st *syscall.Stat_t) {
	if x == nil {
		return
	}
	x.mu.RLock()
	e := x.entries[path]
	x.mu.RUnlock()
	if fp, regular := fingerprintOf(st); e != nil && regular {
		e.seen.Store(&fp)
	}
}

// answer is the entry's observation when path still has its fingerprint:
// as Seen found it, else as a stat finds it now.
func (e *entry) answer(path string) (digest.File, bool) {
	fp, regular := Fingerprint{}, false
	if seen := e.seen.Swap(nil); seen != nil {
		fp, regular = *seen, true
	} else {
		var st syscall.Stat_t
		err := syscall.Stat(path, &st)
		for err == syscall.EINTR {
			err = syscall.Stat(path, &st)
		}
		if err != nil {
			return digest.File{}, false
		}
		fp, regular = fingerprintOf(&st)
	}
	if !regular || fp != e.fp {
		return digest.File{}, false
	}
	e.used.Store(true)
	return digest.File{Exists: true, SHA256: e.sha, Mode: fs.FileMode(fp.Mode) & fs.ModePerm}, true
}

// record remembers what hashing path found, replacing old (the entry the
// lookup missed, or nil); a file that is gone, unreadable or not a
// regular file loses its entry.
func (x *Index) record(path string, old *entry, f digest.File, st *syscall.Stat_t, err error, at int64) {
	fp, regular := fingerprintOf(st)
	if err != nil || !f.Exists || !regular {
		if old != nil {
			x.mu.Lock()
			if x.entries[path] == old {
				delete(x.entries, path)
				x.dirty = true
			}
			x.mu.Unlock()
		}
		return
	}
	e := &entry{fp: fp, sha: f.SHA256, at: at}
	e.used.Store(true)
	x.mu.Lock()
	x.entries[path] = e
	x.dirty = true
	x.mu.Unlock()
}

// Stats count what File did in this run.
type Stats struct {
	// Unchanged files were answered from their entry, without a read.
	Unchanged int64
	// Hashed files were read and hashed.
	Hashed int64
}

// Stats says how many files File answered from the index and how many it
// hashed; nil says nothing.
func (x *Index) Stats() Stats {
	if x == nil {
		return Stats{}
	}
	return Stats{Unchanged: x.unchanged.Load(), Hashed: x.hashed.Load()}
}

// Len is the number of entries held.
func (x *Index) Len() int {
	if x == nil {
		return 0
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

// indexable says whether path may be a key: clean (as filepath.Clean
// leaves it), absolute, and free of control characters (a line of the
// wire format holds it). One pass: the wire format's reader asks it of
// every entry.
func indexable(path string) bool {
	if path == "" || path[0] != '/' {
		return false
	}
	if path == "/" {
		return true
	}
	if path[len(path)-1] == '/' {
		return false
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c < 0x20 || c == 0x7f {
			return false
		}
		if c != '/' {
			continue
		}
		// An element starting here may not be empty, "." or "..".
		rest := path[i+1:]
		switch {
		case rest == "" || rest[0] == '/':
			return false
		case rest == "." || strings.HasPrefix(rest, "./"), rest == ".." || strings.HasPrefix(rest, "../"):
			return false
		}
	}
	return true
}
