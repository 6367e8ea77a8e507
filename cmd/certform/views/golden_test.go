package views

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/certform/certform/approver"
	"github.com/certform/certform/config"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/statefile"
)

var update = flag.Bool("update", false, "rewrite the golden plan renderings")

// scenarioDir holds the planner's golden scenarios: each directory has a
// configuration (main.hcl), a prior state (state.json, absent: empty), the
// observed world (world.json), optional options.json, and the expected
// renderings plan.txt, plan.json and plan.md.
const scenarioDir = "../../../plan/testdata"

// defaultNow is the planning time unless options.json sets "now".
var defaultNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

type worldJSON struct {
	Refreshed bool `json:"refreshed"`
	Files     map[string]struct {
		SHA256 string `json:"sha256"`
		Mode   string `json:"mode"`
	} `json:"files"`
	CSRs map[string]struct {
		UID        string `json:"uid"`
		Phase      string `json:"phase"`
		Message    string `json:"message"`
		CertSHA256 string `json:"cert_sha256"`
	} `json:"csrs"`
	PendingKeys []string `json:"pending_keys"`
	// Secrets by "namespace/name": the data's digest and, as fingerprints,
	// the key and certificate it holds.
	Secrets map[string]struct {
		SHA256    string `json:"sha256"`
		KeySHA256 string `json:"key_sha256"`
		Serial    string `json:"serial"`
	} `json:"secrets"`
	Here *struct {
		Host string `json:"host"`
		Dir  string `json:"dir"`
	} `json:"here"`
	// Existing: objects certform did not create, by "kind:namespace/name".
	Existing map[string]struct {
		Type    string `json:"type"`
		Lineage string `json:"lineage"`
	} `json:"existing"`
	// Unopened: keystores that do not open with the configured password
	// (paths, or plan.UnopenedKey of a Secret's key).
	Unopened []string `json:"unopened"`
	// SecretMeta by "namespace/name": a Secret's labels and annotations.
	SecretMeta map[string]plan.ObjectMeta `json:"secret_meta"`
	// AdoptedSecrets: TLS Secrets ("namespace/name") certform adopted.
	AdoptedSecrets []string `json:"adopted_secrets"`
	// Bundles by ca_bundle address: the CA files (relative to the
	// scenario) its sources resolve to, and its targets.
	Bundles map[string]struct {
		CAs     []string `json:"cas"`
		Targets []struct {
			Kind       string   `json:"kind"`
			Name       string   `json:"name"`
			Key        string   `json:"key"`
			Namespaces []string `json:"namespaces"`
			Adopt      bool     `json:"adopt"`
		} `json:"targets"`
	} `json:"bundles"`
	// Published by "kind:namespace/name": what certform published there.
	Published map[string]struct {
		Addr string   `json:"address"`
		Key  string   `json:"key"`
		CAs  []string `json:"cas"`
	} `json:"published"`
	// Issuers by certificate address: the CA files (relative to the
	// scenario) its certificate chains to, for the trust-removal guard.
	Issuers map[string][]string `json:"issuers"`
}

type optionsJSON struct {
	Now     *time.Time `json:"now"`
	Targets []string   `json:"targets"`
	Replace []string   `json:"replace"`
	// Policy and Requester: predict the approver's verdicts (plan
	// --policy) with policy.hcl's static rules, as Requester.
	Policy    string             `json:"policy"`
	Requester *approver.Identity `json:"requester"`
}

func TestGoldenPlans(t *testing.T) {
	statefile.Version = "test"
	// Every directory with a main.hcl (testdata/fuzz holds the plan
	// package's fuzz corpus).
	mains, _ := filepath.Glob(filepath.Join(scenarioDir, "*", "main.hcl"))
	var dirs []string
	for _, m := range mains {
		dirs = append(dirs, filepath.Dir(m))
	}
	if len(dirs) < 20 {
		t.Fatalf("only %d scenarios", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			p := planScenario(t, dir)
			var human, js, md bytes.Buffer
			RenderPlan(&human, p, Colorizer{})
			RenderMarkdown(&md, p)
			if err := WriteJSON(&js, NewPlanJSON(p)); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join(dir, "plan.txt"), human.Bytes())
			golden(t, filepath.Join(dir, "plan.json"), js.Bytes())
			golden(t, filepath.Join(dir, "plan.md"), md.Bytes())
			// What the trust-removal guard refuses is no part of the
			// renderings (apply and plan report it as an error).
			if _, err := os.Stat(filepath.Join(dir, "blocked.txt")); err == nil || len(p.Blocked) > 0 {
				golden(t, filepath.Join(dir, "blocked.txt"), []byte(strings.Join(append(p.Blocked, ""), "\n")))
			}
		})
	}
}

func planScenario(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(dir, "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, diags := config.LoadSource(src, "main.hcl", dir, config.Inputs{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	prior := &state.State{Lineage: "11111111-2222-4333-8444-555555555555", Certificates: map[string]*state.Certificate{}}
	if data, err := os.ReadFile(filepath.Join(dir, "state.json")); err == nil {
		if prior, err = statefile.Decode(data); err != nil {
			t.Fatal(err)
		}
	}
	var wj worldJSON
	readJSON(t, filepath.Join(dir, "world.json"), &wj)
	world := plan.World{Refreshed: wj.Refreshed, Files: map[string]plan.FileObservation{},
		CSRs: map[string]plan.CSRObservation{}, PendingKeys: map[string]bool{}}
	for path, f := range wj.Files {
		mode, _ := strconv.ParseUint(f.Mode, 8, 32)
		world.Files[path] = plan.FileObservation{Exists: f.SHA256 != "", SHA256: f.SHA256, Mode: fs.FileMode(mode)}
	}
	for name, c := range wj.CSRs {
		world.CSRs[name] = plan.CSRObservation{Name: name, UID: c.UID, Phase: plan.CSRPhase(c.Phase), Message: c.Message, CertSHA256: c.CertSHA256}
	}
	for _, fp := range wj.PendingKeys {
		world.PendingKeys[fp] = true
	}
	if wj.Secrets != nil {
		world.Secrets, world.TLS = map[string]string{}, map[string]plan.TLSContent{}
		for name, sec := range wj.Secrets {
			world.Secrets[name] = sec.SHA256
			world.TLS[name] = plan.TLSContent{KeySHA256: sec.KeySHA256, Serial: sec.Serial}
		}
	}
	if wj.Here != nil {
		world.Here = state.Origin{Host: wj.Here.Host, Dir: wj.Here.Dir}
	}
	for key, o := range wj.Existing {
		if world.Existing == nil {
			world.Existing = map[string]plan.ExistingObject{}
		}
		kind, nsName, _ := strings.Cut(key, ":")
		ns, name, _ := strings.Cut(nsName, "/")
		world.Existing[key] = plan.ExistingObject{Kind: kind, Namespace: ns, Name: name, Type: o.Type, Lineage: o.Lineage}
	}
	for _, name := range wj.AdoptedSecrets {
		if world.AdoptedSecrets == nil {
			world.AdoptedSecrets = map[string]bool{}
		}
		world.AdoptedSecrets[name] = true
	}
	for _, k := range wj.Unopened {
		if world.Unopened == nil {
			world.Unopened = map[string]bool{}
		}
		world.Unopened[k] = true
	}
	world.SecretMeta = wj.SecretMeta
	worldBundles(t, dir, wj, &world)
	var opts optionsJSON
	if _, err := os.Stat(filepath.Join(dir, "options.json")); err == nil {
		readJSON(t, filepath.Join(dir, "options.json"), &opts)
	}
	now := defaultNow
	if opts.Now != nil {
		now = *opts.Now
	}
	p := plan.Make(cfg, prior, world, now, plan.Options{Targets: opts.Targets, Replace: opts.Replace})
	if opts.Policy != "" {
		policies, _, diags := approver.Load(filepath.Join(dir, opts.Policy))
		if diags.HasErrors() {
			t.Fatal(diags)
		}
		pr := &approver.Predictor{Policies: policies, Who: *opts.Requester}
		if err := pr.PredictPlan(context.Background(), p, cfg); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// worldBundles fills the bundles, published objects and known CAs of a
// scenario's world.
func worldBundles(t *testing.T, dir string, wj worldJSON, world *plan.World) {
	t.Helper()
	if wj.Bundles == nil && wj.Published == nil && wj.Issuers == nil {
		return
	}
	world.Bundles, world.Published, world.KnownCAs = map[string]plan.ResolvedBundle{}, map[string]plan.Published{}, map[string]*x509.Certificate{}
	load := func(files []string) ([]*x509.Certificate, []string) {
		var cas []*x509.Certificate
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			block, _ := pem.Decode(data)
			if block == nil {
				t.Fatalf("%s: no PEM", f)
			}
			ca, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			world.KnownCAs[config.Fingerprint(ca)] = ca
			cas = append(cas, ca)
		}
		slices.SortFunc(cas, func(a, b *x509.Certificate) int { return strings.Compare(config.Fingerprint(a), config.Fingerprint(b)) })
		var fps []string
		for _, ca := range cas {
			fps = append(fps, config.Fingerprint(ca))
		}
		return cas, fps
	}
	for addr, b := range wj.Bundles {
		rb := plan.ResolvedBundle{}
		rb.CAs, _ = load(b.CAs)
		for _, tg := range b.Targets {
			rb.Targets = append(rb.Targets, plan.ResolvedTarget{Kind: tg.Kind, Name: tg.Name, Key: tg.Key, Namespaces: tg.Namespaces, Adopt: tg.Adopt})
		}
		world.Bundles[addr] = rb
	}
	for key, pub := range wj.Published {
		kind, nsName, _ := strings.Cut(key, ":")
		ns, name, _ := strings.Cut(nsName, "/")
		_, fps := load(pub.CAs)
		world.Published[key] = plan.Published{Kind: kind, Addr: pub.Addr, Namespace: ns, Name: name, Key: pub.Key, Fingerprints: fps}
	}
	for addr, files := range wj.Issuers {
		if world.Issuers == nil {
			world.Issuers = map[string][]string{}
		}
		_, world.Issuers[addr] = load(files)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/certform/views -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
