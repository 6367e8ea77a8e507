package main

import (
	"os"
	"path/filepath"
	"time"

	"github.com/certform/certform/internal/fileindex"
)

// fileIndexName is the file index's name in the data directory: one per
// data directory, shared by its workspaces, since its entries are facts
// about this machine's files rather than about a state.
const fileIndexName = "file-index"

// loadFileIndex reads the data directory's file index for this run's
// refresh. A missing or unusable index is an empty one: every output file
// is then hashed, as deleting the index file asks for on purpose.
func (w *workspace) loadFileIndex() *fileindex.Index {
	x, err := fileindex.Load(filepath.Join(w.dataDir, fileIndexName))
	if err != nil {
		debugf("file index: %v; every output file is hashed", err)
	}
	return x
}

// saveFileIndex writes back what the refresh learned, best-effort: a
// read-only or missing data directory, or a failed write, costs the next
// run some hashing and never fails this one. It writes only into a data
// directory that exists, so that a plan never creates one.
func (w *workspace) saveFileIndex(x *fileindex.Index) {
	s := x.Stats()
	debugf("file index: %d output file(s) unchanged since hashed, %d hashed", s.Unchanged, s.Hashed)
	if st, err := os.Stat(w.dataDir); err != nil || !st.IsDir() {
		debugf("file index not saved: no data directory %s", w.dataDir)
		return
	}
	if err := x.Save(filepath.Join(w.dataDir, fileIndexName), time.Now()); err != nil {
		debugf("file index not saved: %v", err)
	}
}
