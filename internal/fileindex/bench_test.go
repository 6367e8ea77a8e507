package fileindex

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/certform/certform/internal/digest"
)

// BenchmarkFiles observes 20,000 small files, as a plan of 10,000
// certificates does: hashing each (no index), answering each from a warm
// index, and loading and saving that index. One op is all 20,000.
func BenchmarkFiles(b *testing.B) {
	const n = 20000
	dir := b.TempDir()
	paths := make([]string, n)
	for i := range paths {
		paths[i] = filepath.Join(dir, fmt.Sprintf("s%05d.crt", i))
		if err := os.WriteFile(paths[i], []byte(fmt.Sprintf("-----BEGIN CERTIFICATE-----\n%0600d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	later := time.Now().Add(time.Minute) // the files are not racy then
	warm := New()
	for _, p := range paths {
		warm.File(p)
	}
	index := filepath.Join(dir, "file-index")
	if err := warm.Save(index, later); err != nil {
		b.Fatal(err)
	}
	b.Run("hash", func(b *testing.B) {
		for b.Loop() {
			for _, p := range paths {
				if _, err := digest.OfFile(p); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("index", func(b *testing.B) {
		for b.Loop() {
			for _, p := range paths {
				if _, err := warm.File(p); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			if x, err := Load(index); err != nil || x.Len() != n {
				b.Fatal(err)
			}
		}
	})
	b.Run("save", func(b *testing.B) {
		for b.Loop() {
			warm.dirty = true
			if err := warm.Save(index, later); err != nil {
				b.Fatal(err)
			}
		}
	})
}
