# certform's build, test and demo entry points. Everything works on a fresh
# machine with Go and the module proxy: the local cluster's binaries are
# built from Go modules once and cached in ~/.cache/certform.

GO          ?= go
CLUSTER_DIR ?= $(CURDIR)/.cluster
BIN         := $(CURDIR)/bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)

.PHONY: all build test cover unit vet cluster-bin opa-bin keytool shells cert-manager-bin cluster-up cluster-down demo fuzz bench clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/certform ./cmd/certform

# The oldest Kubernetes minor certform supports (hack/kube-$(OLDEST_KUBE));
# the compatibility suite runs against it. KUBE picks the version of
# make cluster-up: empty for the current one, or $(OLDEST_KUBE).
OLDEST_KUBE ?= 1.32
KUBE        ?=

# Builds (first time: several minutes each) or finds the cached cluster
# binaries of the current and the oldest supported Kubernetes version.
cluster-bin:
	@./hack/build-cluster.sh >/dev/null
	@./hack/build-cluster.sh $(OLDEST_KUBE) >/dev/null

# Builds (first time: several minutes) or finds the cached opa binary that
# the policy-as-code test runs over plan --json.
opa-bin:
	@./hack/build-opa.sh >/dev/null

# Finds Java's keytool for the keystore tests, installing Debian's
# openjdk-17-jre-headless where it is missing.
keytool:
	@./hack/install-keytool.sh >/dev/null

# Finds bash, zsh and fish for the shell completion tests, installing
# Debian's packages where they are missing.
shells:
	@for s in bash zsh fish; do ./hack/install-shells.sh $$s >/dev/null || exit 1; done

# Builds (first time: several minutes) or finds the cached cert-manager CSR
# signer (hack/cert-manager) that the third-party signer tests run.
cert-manager-bin:
	@./hack/build-cert-manager.sh >/dev/null

# Everything, including the tests against the real local cluster, the
# compatibility suite against the oldest supported Kubernetes version
# (TestCompat*), the real Open Policy Agent and cert-manager's CA signer
# (TestCertManager*).
test: vet cluster-bin opa-bin keytool shells cert-manager-bin
	CERTFORM_CLUSTER_BIN=$$(./hack/build-cluster.sh) \
	CERTFORM_KEYTOOL=$$(./hack/install-keytool.sh) \
	CERTFORM_BASH=$$(./hack/install-shells.sh bash) \
	CERTFORM_ZSH=$$(./hack/install-shells.sh zsh) \
	CERTFORM_FISH=$$(./hack/install-shells.sh fish) \
	CERTFORM_CLUSTER_BIN_OLDEST=$$(./hack/build-cluster.sh $(OLDEST_KUBE)) \
	CERTFORM_OPA=$$(./hack/build-opa.sh) \
	CERTFORM_CERT_MANAGER=$$(./hack/build-cert-manager.sh) \
	$(GO) test -race -count=1 ./...

# Coverage of the whole suite, unit and end-to-end: the tests run with
# -coverpkg over every package, and the certform binary the end-to-end
# tests run is built with -cover, its runs writing to GOCOVERDIR
# (cmd/certform/main_test.go). Both are merged into one table, a line per
# package, and the total; $(COVERDIR)/cover.out is the profile for go tool
# cover -html. Not part of make test: it runs the suite once more, without
# -race. The test harness (internal/testcluster), bench and hack/ are left
# out of the figures.
COVERDIR  ?= $(CURDIR)/.cover
COVERPKGS  = $(shell $(GO) list ./... | grep -Ev '/internal/testcluster|/bench$$|/hack/' | paste -sd, -)
cover: cluster-bin opa-bin keytool shells cert-manager-bin
	@rm -rf $(COVERDIR) && mkdir -p $(COVERDIR)/unit $(COVERDIR)/e2e
	@echo "running the suite with coverage (log: $(COVERDIR)/test.log)"
	@CERTFORM_CLUSTER_BIN=$$(./hack/build-cluster.sh) \
	CERTFORM_KEYTOOL=$$(./hack/install-keytool.sh) \
	CERTFORM_BASH=$$(./hack/install-shells.sh bash) \
	CERTFORM_ZSH=$$(./hack/install-shells.sh zsh) \
	CERTFORM_FISH=$$(./hack/install-shells.sh fish) \
	CERTFORM_CLUSTER_BIN_OLDEST=$$(./hack/build-cluster.sh $(OLDEST_KUBE)) \
	CERTFORM_OPA=$$(./hack/build-opa.sh) \
	CERTFORM_CERT_MANAGER=$$(./hack/build-cert-manager.sh) \
	CERTFORM_E2E_COVERDIR=$(COVERDIR)/e2e \
	$(GO) test -count=1 -coverpkg=$(COVERPKGS) ./... -args -test.gocoverdir=$(COVERDIR)/unit >$(COVERDIR)/test.log 2>&1; \
	echo $$? >$(COVERDIR)/test.exit; grep -E '^(ok|FAIL|--- FAIL)' $(COVERDIR)/test.log | sed 's/coverage: .*//'
	@$(GO) tool covdata percent -i=$(COVERDIR)/unit,$(COVERDIR)/e2e -pkg=$(COVERPKGS) | awk '{ printf "%-56s %s\n", $$1, $$3 }' | sort
	@$(GO) tool covdata textfmt -i=$(COVERDIR)/unit,$(COVERDIR)/e2e -pkg=$(COVERPKGS) -o $(COVERDIR)/cover.out
	@$(GO) tool cover -func=$(COVERDIR)/cover.out | tail -1 | awk '{ printf "%-56s %s\n", "total", $$3 }'
	@exit $$(cat $(COVERDIR)/test.exit)

# Tests that need no cluster binaries are the same command: they simply do
# not start one. vet also checks formatting, and that git tracks nothing
# .gitignore ignores (a built binary committed by mistake).
vet:
	@test -z "$$(git ls-files -ci --exclude-standard 2>/dev/null)" || { git ls-files -ci --exclude-standard; echo 'tracked but ignored: git rm --cached them'; exit 1; }
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	$(GO) vet ./...

cluster-up:
	@$(GO) run ./internal/testcluster/clusterctl up --bin "$$(./hack/build-cluster.sh $(KUBE))" --dir $(CLUSTER_DIR)

cluster-down:
	@$(GO) run ./internal/testcluster/clusterctl down --dir $(CLUSTER_DIR)

demo: build cluster-bin
	@./hack/demo.sh

fuzz:
	./hack/fuzz.sh $(FUZZTIME)

# Benchmarks against the real local cluster (minutes; not part of make test).
bench: cluster-bin
	CERTFORM_CLUSTER_BIN=$$(./hack/build-cluster.sh) $(GO) test ./bench -run '^$$' -bench . -benchtime 3x

clean:
	rm -rf $(BIN) .demo .cover
