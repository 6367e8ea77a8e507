// Command clusterctl starts and stops certform's local test cluster for
// people: make cluster-up and make cluster-down call it.
//
//	clusterctl up --bin DIR --dir DIR    start, print the admin KUBECONFIG path last
//	clusterctl down --dir DIR            stop a cluster started by up
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/certform/certform/internal/testcluster"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "clusterctl: error: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: clusterctl up|down [--bin DIR] --dir DIR")
	}
	fs := pflag.NewFlagSet("clusterctl", pflag.ContinueOnError)
	bin := fs.String("bin", "", "directory holding etcd, kube-apiserver and kube-controller-manager")
	dir := fs.String("dir", ".cluster", "the cluster's directory")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	switch args[0] {
	case "up":
		if err := testcluster.StopDetached(abs); err != nil {
			return err
		}
		if err := os.RemoveAll(abs); err != nil {
			return err
		}
		c, err := testcluster.Start(context.Background(), testcluster.Options{BinDir: *bin, Dir: abs, Detach: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "cluster ready in %s (kube-apiserver %s); signer CA: %s\n",
			c.Startup.Round(1e6), c.APIServerURL(), c.SignerCAFile)
		fmt.Fprintf(os.Stderr, "restricted user (no approve): KUBECONFIG=%s\n", c.RestrictedKubeconfig)
		fmt.Println(c.AdminKubeconfig)
		return nil
	case "down":
		return testcluster.StopDetached(abs)
	}
	return fmt.Errorf("unknown command %q: use up or down", args[0])
}
