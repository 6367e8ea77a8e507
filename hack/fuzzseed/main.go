// Command fuzzseed writes files as seed corpus entries of a Go fuzz target,
// in go test's corpus format, so the seeds live in testdata/fuzz beside the
// target:
//
//	go run ./hack/fuzzseed -out config/testdata/fuzz/FuzzLoad config/testdata/invalid/*.hcl
package main

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

func main() {
	out := flag.String("out", "", "corpus directory, e.g. pkg/testdata/fuzz/FuzzName")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "fuzzseed: error: -out is required")
		os.Exit(1)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzseed: error:", err)
		os.Exit(1)
	}
	for _, in := range flag.Args() {
		data, err := os.ReadFile(in)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fuzzseed: error:", err)
			os.Exit(1)
		}
		entry := "go test fuzz v1\n[]byte(" + strconv.Quote(string(data)) + ")\n"
		name := fmt.Sprintf("seed-%s-%x", filepath.Base(in), sha256.Sum256(data))[:60]
		if err := os.WriteFile(filepath.Join(*out, name), []byte(entry), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "fuzzseed: error:", err)
			os.Exit(1)
		}
	}
}
