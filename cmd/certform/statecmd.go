package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/internal/limits"
	"github.com/certform/certform/state"
	"github.com/certform/certform/state/backend"
	kubebackend "github.com/certform/certform/state/backend/kubernetes"
	"github.com/certform/certform/state/statefile"
)

const stateUsage = "certform state list | show ADDR | rm ADDR... | mv FROM TO | pull | push [--force] FILE"

// StateOptions are the state commands' flags and arguments.
type StateOptions struct {
	LockTimeout time.Duration
	Force       bool
	Sub         string   // list, show, rm, mv, pull or push
	Args        []string // the subcommand's arguments
}

var cmdState = &command{
	name: "state", args: "list | show ADDR | rm ADDR... | mv FROM TO | pull | push [--force] FILE", summary: "inspect and edit state: list, show, rm, mv, pull, push",
	desc: `Inspects and edits the state: list its addresses, show one record, rm records (their files and
CSR objects stay as they are), mv a record to a new address (every instance of a for_each block
when neither address has a key), pull the state as JSON, push a state file in its place (only a
newer state of the same lineage, unless --force). The state commands read only the backend and
kubernetes blocks. For reviewed refactors, prefer moved, removed and import blocks.`,
	examples: []string{
		"certform state list",
		"certform state show 'certificate.web[\"a\"]'",
		"certform state mv certificate.old certificate.new",
		"certform state pull > backup.json && certform state push backup.json",
	},
	globals: gAll,
	new:     func() Options { return &StateOptions{} },
}

// AddFlags adds the state commands' flags.
func (o *StateOptions) AddFlags(fs *pflag.FlagSet) {
	fs.DurationVar(&o.LockTimeout, "lock-timeout", 0, "how long to wait for the state lock")
	fs.BoolVar(&o.Force, "force", false, "push: replace the state even when lineage or serial say it is not newer")
}

// Complete takes the subcommand and its arguments.
func (o *StateOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) == 0 {
		return withHint(errors.New("state needs a subcommand"), stateUsage)
	}
	o.Sub, o.Args = args[0], args[1:]
	return nil
}

// Validate refuses an unknown subcommand or a wrong number of arguments.
func (o *StateOptions) Validate() error { return checkStateArgs(o.Sub, o.Args) }

// Run runs state list|show|rm|mv|pull|push: inspect and edit state. rm and
// mv change only state: files and CSR objects stay as they are.
func (o *StateOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	sub, rest := o.Sub, o.Args
	w, err := openStateOnly(g, s, sub == "list" || sub == "show" || sub == "pull")
	if err != nil {
		return exitError, err
	}
	if sub == "rm" || sub == "mv" || sub == "push" {
		if _, err := w.lock(ctx, "state "+sub, o.LockTimeout); err != nil {
			return exitError, err
		}
		defer w.backend.Unlock(context.WithoutCancel(ctx))
	}
	st, err := w.loadState(ctx)
	if err != nil {
		return exitError, err
	}
	switch {
	case sub == "list" && len(rest) == 0:
		for _, addr := range st.Addrs() {
			fmt.Fprintln(s.Out, addr)
		}
	case sub == "show" && len(rest) == 1:
		rec, ok := st.Certificates[rest[0]]
		if !ok {
			return exitError, noRecord(rest[0], st)
		}
		views.RenderRecord(s.Out, rec)
	case sub == "rm" && len(rest) > 0:
		for _, addr := range rest {
			if _, ok := st.Certificates[addr]; !ok {
				return exitError, noRecord(addr, st)
			}
			delete(st.Certificates, addr)
		}
		if err := w.backend.Persist(ctx, st); err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "Removed %d record(s) from state; their files and CSR objects were left as they are.\n", len(rest))
	case sub == "mv" && len(rest) == 2:
		return stateMove(ctx, g, w, st, rest[0], rest[1], s)
	case sub == "pull" && len(rest) == 0:
		data, err := statefile.Encode(st)
		if err != nil {
			return exitError, err
		}
		s.Out.Write(data)
	case sub == "push" && len(rest) == 1:
		return push(ctx, w, st, rest[0], o.Force, s)
	default:
		return exitError, withHint(fmt.Errorf("unknown state command %q with %d argument(s)", sub, len(rest)), stateUsage)
	}
	return exitOK, nil
}

func noRecord(addr string, st *state.State) error {
	return withHint(fmt.Errorf("no record for %s in state", addr), "certform state list shows the addresses in state")
}

// push replaces the state with a file, as terraform state push does: only
// a state of the same lineage and a higher serial, unless --force.
func push(ctx context.Context, w *workspace, current *state.State, path string, force bool, s Streams) (int, error) {
	data, err := limits.ReadFile(w.cfg.Dir.Path(path), limits.StateFile) // as terraform state push after -chdir
	if err != nil {
		return exitError, err
	}
	pushed, err := statefile.Decode(data)
	if err != nil {
		return exitError, fmt.Errorf("reading %s: %w", path, err)
	}
	empty := len(current.Certificates) == 0 && len(current.Bundles) == 0 && current.Serial <= 1
	switch {
	case force || empty:
	case pushed.Lineage != current.Lineage:
		return exitError, withHint(fmt.Errorf("%s has lineage %s, but the state in %s has lineage %s: they are different states",
			path, pushed.Lineage, w.backend.Describe(), current.Lineage), "pass --force to replace it anyway")
	case pushed.Serial == current.Serial:
		return sameSerial(w, current, pushed, path, s)
	case pushed.Serial < current.Serial:
		return exitError, withHint(fmt.Errorf("%s has serial %d, but the state in %s is at serial %d: it is stale",
			path, pushed.Serial, w.backend.Describe(), current.Serial), "pull the current state and reconcile, or pass --force")
	}
	pushed.Serial = current.Serial // Persist raises it past the current one
	if err := w.backend.Persist(ctx, pushed); err != nil {
		return exitError, err
	}
	fmt.Fprintf(s.Out, "Pushed %s to %s (serial %d).\n", path, w.backend.Describe(), pushed.Serial)
	return exitOK, nil
}

// ForceUnlockOptions are force-unlock's flag and argument.
type ForceUnlockOptions struct {
	Force bool
	ID    string
}

var cmdForceUnlock = &command{
	name: "force-unlock", args: "ID", summary: "explain or release a stale state lock",
	desc: `Releases a lock a crashed run left on the kubernetes backend's state (its Lease), after naming
the holder and asking for "yes" (--force: without asking). The ID is in the error of the run that
found the state locked. A local backend's lock is never stale (the operating system releases it
with the process), so for it this says who holds it.`,
	examples: []string{"certform force-unlock 6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"},
	globals:  gAll,
	new:      func() Options { return &ForceUnlockOptions{} },
}

// AddFlags adds force-unlock's flag.
func (o *ForceUnlockOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Force, "force", false, "release the lock without asking for confirmation")
}

// Complete takes the lock ID.
func (o *ForceUnlockOptions) Complete(_ *GlobalOptions, args []string) error {
	if len(args) != 1 {
		return withHint(errors.New("force-unlock takes the lock ID"), "the ID is in the error of the run that found the state locked")
	}
	o.ID = args[0]
	return nil
}

// Validate has nothing to check.
func (o *ForceUnlockOptions) Validate() error { return nil }

// Run runs force-unlock ID: release a lock a crashed run left (the
// kubernetes backend's Lease); a local flock is never stale, so for it
// this says who holds it.
func (o *ForceUnlockOptions) Run(ctx context.Context, g *GlobalOptions, s Streams) (int, error) {
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	if k, ok := w.backend.(*kubebackend.Backend); ok && !o.Force {
		if err := confirmUnlock(ctx, k, o.ID, s); err != nil {
			return exitError, err
		}
	}
	switch err := w.backend.ForceUnlock(ctx, o.ID); {
	case errors.Is(err, backend.ErrNotLocked):
		fmt.Fprintln(s.Out, "The state is not locked.")
	case err != nil:
		return exitError, err
	default:
		where := w.backend.Describe()
		if k, ok := w.backend.(*kubebackend.Backend); ok {
			where = k.LockName() + " of " + where
		}
		fmt.Fprintf(s.Out, "Released the lock %s on %s.\n", o.ID, where)
	}
	return exitOK, nil
}

// confirmUnlock names the Lease and its holder and asks for "yes": a
// released lock lets another run change the state while the holder, if it
// is still alive, goes on.
func confirmUnlock(ctx context.Context, k *kubebackend.Backend, id string, s Streams) error {
	holder, err := k.Holder(ctx)
	if err != nil || holder == nil || holder.ID != id {
		return err // ForceUnlock explains a missing or different holder
	}
	if f, ok := s.In.(*os.File); !ok || !isTerminal(f) {
		return withHint(fmt.Errorf("force-unlock of %s (held by %s, %s since %s) needs confirmation, and standard input is not a terminal",
			k.LockName(), holder.Who, holder.Operation, holder.Created.Format(time.RFC3339)),
			"make sure that run has stopped, then pass --force")
	}
	fmt.Fprintf(s.Out, "%s is held by %s (pid %d, %s since %s, lock ID %s).\n"+
		"Releasing it lets another run change the state even if that run is still working.\n"+
		"Do you really want to force-unlock? Only 'yes' will be accepted: ",
		k.LockName(), holder.Who, holder.PID, holder.Operation, holder.Created.Format(time.RFC3339), holder.ID)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && err != io.EOF {
		return err
	}
	if strings.TrimSpace(line) != "yes" {
		return errors.New("force-unlock cancelled")
	}
	return nil
}
