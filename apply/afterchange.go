package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/certform/certform/config"
	"github.com/certform/certform/internal/pki"
	"github.com/certform/certform/internal/workdir"
	"github.com/certform/certform/plan"
	"github.com/certform/certform/state"
)

// After-change actions run once a change has put a certificate with new
// content in place and recorded it: they never undo it. One that fails is
// reported and recorded in the address's PendingActions, and the next plan
// runs it again (plan/delivery.go).

// RestartedAtAnnotation is the pod-template annotation kubectl rollout
// restart sets; changing it rolls the workload's pods.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

// CommandTimeout bounds an on_change command.
const CommandTimeout = 5 * time.Minute

// maxCommandOutput is how much of a failed command's output is reported.
const maxCommandOutput = 2048

// afterChange runs ch's after-change actions, if its content changed (or
// for retries), and records those that failed for the next run.
func (r *runner) afterChange(ctx context.Context, ch *plan.Change) error {
	c := r.cfg[ch.Addr]
	r.mu.Lock()
	rec := r.state.Certificates[ch.Addr]
	if rec != nil {
		rec = rec.DeepCopy()
	}
	r.mu.Unlock()
	if c == nil || rec == nil || len(ch.AfterChange) == 0 {
		return nil
	}
	changed := ch.Action == plan.Update || rec.Status == state.StatusIssued && ch.Before != nil && rec.SerialNumber != ch.Before.SerialNumber
	var failed []string
	var errs []error
	for _, a := range ch.AfterChange {
		if !changed && !a.Retry {
			continue
		}
		msg, err := r.runAction(ctx, c, a.ID, changedFiles(ch.Before, rec))
		if err != nil {
			failed = append(failed, a.ID)
			errs = append(errs, fmt.Errorf("%s: after-change action %q failed: %w; the certificate is in place, and the next run retries the action", ch.Addr, a.ID, err))
			r.report(Event{Addr: ch.Addr, Phase: PhaseWarning, Message: fmt.Sprintf("%s failed: %v (retried on the next run)", a.ID, err)})
			continue
		}
		r.report(Event{Addr: ch.Addr, Phase: PhaseAfterChange, Message: msg})
	}
	slices.Sort(failed)
	if !slices.Equal(failed, rec.PendingActions) {
		rec.PendingActions = failed
		if err := r.record(ch.Addr, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runAction runs the action id of c and says what it did.
func (r *runner) runAction(ctx context.Context, c *config.Certificate, id string, changed []string) (string, error) {
	if id == config.CommandID {
		return "ran on_change.command", runCommand(ctx, c, changed, r.dir)
	}
	for _, rs := range c.OnChange.Restarts {
		if rs.ID() == id {
			return "restarted " + rs.Kind + " " + rs.Namespace + "/" + rs.Name, r.restart(ctx, rs)
		}
	}
	return "", fmt.Errorf("no longer configured")
}

// restart sets the restartedAt annotation on the workload's pod template,
// as kubectl rollout restart does.
func (r *runner) restart(ctx context.Context, rs config.Restart) error {
	if r.opts.Apps == nil {
		return errors.New("no Kubernetes client for workloads")
	}
	patch := fmt.Appendf(nil, `{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, RestartedAtAnnotation, r.opts.Now().UTC().Format(time.RFC3339))
	opts := metav1.PatchOptions{FieldManager: FieldManager}
	var err error
	switch rs.Kind {
	case "Deployment":
		_, err = r.opts.Apps.Deployments(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, opts)
	case "StatefulSet":
		_, err = r.opts.Apps.StatefulSets(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, opts)
	case "DaemonSet":
		_, err = r.opts.Apps.DaemonSets(rs.Namespace).Patch(ctx, rs.Name, types.StrategicMergePatchType, patch, opts)
	default:
		panic("apply: unknown restart kind " + rs.Kind) // config refuses others
	}
	if err != nil {
		return fmt.Errorf("restarting %s %s/%s: %w", rs.Kind, rs.Namespace, rs.Name, err)
	}
	return nil
}

// changedFiles lists the output files whose content differs from what
// before recorded, sorted; all of them when none does (a retry).
func changedFiles(before, after *state.Certificate) []string {
	var changed, all []string
	for path, f := range after.Files {
		all = append(all, path)
		if before == nil || before.Files[path].SHA256 != f.SHA256 {
			changed = append(changed, path)
		}
	}
	if len(changed) == 0 {
		changed = all
	}
	slices.Sort(changed)
	return changed
}

// runCommand runs c's on_change.command without a shell, in the
// configuration directory, with certbot's deploy-hook variables and
// certform's own in its environment (docs/configuration.md).
func runCommand(ctx context.Context, c *config.Certificate, changed []string, dir workdir.Dir) error {
	ctx, cancel := context.WithTimeout(ctx, CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.OnChange.Command[0], c.OnChange.Command[1:]...)
	cmd.Dir = string(dir) // "": certform's own working directory
	cmd.Env = append(os.Environ(), commandEnv(c, changed, dir)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		tail := strings.TrimSpace(out.String())
		if len(tail) > maxCommandOutput {
			tail = "…" + tail[len(tail)-maxCommandOutput:]
		}
		if tail != "" {
			return fmt.Errorf("%w; output: %s", err, tail)
		}
		return err
	}
	return nil
}

// commandEnv is what a command learns about the change.
func commandEnv(c *config.Certificate, changed []string, dir workdir.Dir) []string {
	abs := dir.Abs
	var absChanged, domains []string
	for _, p := range changed {
		absChanged = append(absChanged, abs(p))
	}
	for _, h := range c.Request.Hosts {
		if pki.ClassifyHost(h) == pki.HostDNS {
			domains = append(domains, h)
		}
	}
	return []string{
		"RENEWED_LINEAGE=" + filepath.Dir(abs(c.Output.CertFile)),
		"RENEWED_DOMAINS=" + strings.Join(domains, " "),
		"CERTFORM_ADDRESS=" + c.Addr,
		"CERTFORM_CERT_FILE=" + abs(c.Output.CertFile),
		"CERTFORM_KEY_FILE=" + abs(c.Output.KeyFile),
		"CERTFORM_CHANGED_FILES=" + strings.Join(absChanged, "\n"),
	}
}
