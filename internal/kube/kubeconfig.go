package kube

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
)

// explainKubeconfig turns client-go's errors for a kubeconfig it could not
// use into what a certform user can act on: no kubeconfig at all (instead
// of client-go's "try setting KUBERNETES_MASTER", a variable certform does
// not read), or a context that does not exist, with those that do.
func explainKubeconfig(rules *clientcmd.ClientConfigLoadingRules, opts Options, err error) error {
	if p := rules.ExplicitPath; p != "" {
		if _, serr := os.Stat(p); errors.Is(serr, os.ErrNotExist) {
			return fmt.Errorf("kubeconfig %s does not exist", p)
		}
	}
	if clientcmd.IsEmptyConfig(err) {
		return errors.New("no kubeconfig found: " + whereLooked(rules) + ", and certform is not running in a cluster")
	}
	raw, loadErr := rules.Load()
	if loadErr != nil {
		return fmt.Errorf("loading kubeconfig: %w", loadErr)
	}
	name := opts.Context
	if name == "" {
		name = raw.CurrentContext
	}
	if _, ok := raw.Contexts[name]; !ok && name != "" {
		names := slices.Sorted(maps.Keys(raw.Contexts))
		have := "it has none"
		if len(names) > 0 {
			have = "it has " + strings.Join(names, ", ")
		}
		what := "the context"
		if opts.Context == "" {
			what = "the current-context"
		}
		return fmt.Errorf("kubeconfig %s has no context %q (%s); %s", kubeconfigFiles(rules), name, what, have)
	}
	if name == "" && len(raw.Contexts) > 0 {
		return fmt.Errorf("kubeconfig %s sets no current-context; choose one of %s with --context",
			kubeconfigFiles(rules), strings.Join(slices.Sorted(maps.Keys(raw.Contexts)), ", "))
	}
	return fmt.Errorf("loading kubeconfig: %w", err)
}

// whereLooked says which kubeconfig files were tried.
func whereLooked(rules *clientcmd.ClientConfigLoadingRules) string {
	if env := os.Getenv(clientcmd.RecommendedConfigPathEnvVar); env != "" {
		return "$KUBECONFIG (" + env + ") names no file that exists"
	}
	return "no --kubeconfig, $KUBECONFIG or " + clientcmd.RecommendedHomeFile
}

// kubeconfigFiles names the files the configuration was loaded from.
func kubeconfigFiles(rules *clientcmd.ClientConfigLoadingRules) string {
	if rules.ExplicitPath != "" {
		return rules.ExplicitPath
	}
	var existing []string
	for _, p := range rules.GetLoadingPrecedence() {
		if _, err := os.Stat(p); err == nil {
			existing = append(existing, p)
		}
	}
	return strings.Join(existing, ":")
}
