# certform's build, test and demo entry points. Everything works on a fresh
# machine with Go and the module proxy: the local cluster's binaries are
# built from Go modules once and cached in ~/.cache/certform.

GO          ?= go
CLUSTER_DIR ?= $(CURDIR)/.cluster
BIN         := $(CURDIR)/bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)

.PHONY: all build test unit vet cluster-bin opa-bin cluster-up cluster-down demo fuzz bench clean

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

# Everything, including the tests against the real local cluster, the
# compatibility suite against the oldest supported Kubernetes version
# (TestCompat*) and the real Open Policy Agent.
test: vet cluster-bin opa-bin
	CERTFORM_CLUSTER_BIN=$$(./hack/build-cluster.sh) \
	CERTFORM_CLUSTER_BIN_OLDEST=$$(./hack/build-cluster.sh $(OLDEST_KUBE)) \
	CERTFORM_OPA=$$(./hack/build-opa.sh) \
	$(GO) test -race -count=1 ./...

# Tests that need no cluster binaries are the same command: they simply do
# not start one. vet also checks formatting.
vet:
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
	rm -rf $(BIN) .demo
