package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/certform/certform/cmd/certform/views"
	"github.com/certform/certform/state"
)

const stateUsage = "certform state list | show ADDR | rm ADDR... | mv FROM TO"

// state list|show|rm|mv: inspect and edit state. rm and mv change only
// state: files and CSR objects stay as they are.
func runState(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fs := newFlagSet("state", g, s)
	lockTimeout := fs.Duration("lock-timeout", 0, "how long to wait for the state lock")
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() == 0 {
		return exitError, withHint(errors.New("state needs a subcommand"), stateUsage)
	}
	sub, rest := fs.Arg(0), fs.Args()[1:]
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	if sub == "rm" || sub == "mv" {
		if err := w.lock(ctx, "state "+sub, *lockTimeout); err != nil {
			return exitError, err
		}
		defer w.backend.Unlock()
	}
	st, err := w.loadState()
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
		if err := w.backend.Persist(st); err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "Removed %d record(s) from state; their files and CSR objects were left as they are.\n", len(rest))
	case sub == "mv" && len(rest) == 2:
		from, to := rest[0], rest[1]
		rec, ok := st.Certificates[from]
		if !ok {
			return exitError, noRecord(from, st)
		}
		if _, taken := st.Certificates[to]; taken {
			return exitError, withHint(fmt.Errorf("%s is already in state", to), "remove it first with certform state rm "+to)
		}
		if !strings.HasPrefix(to, "certificate.") {
			return exitError, withHint(fmt.Errorf("%q is not a certificate address", to), `write it as certificate.NAME or certificate.NAME["KEY"]`)
		}
		delete(st.Certificates, from)
		rec.Addr = to
		st.Certificates[to] = rec
		if err := w.backend.Persist(st); err != nil {
			return exitError, err
		}
		fmt.Fprintf(s.Out, "Moved %s to %s.\n", from, to)
	default:
		return exitError, withHint(fmt.Errorf("unknown state command %q with %d argument(s)", sub, len(rest)), stateUsage)
	}
	return exitOK, nil
}

func noRecord(addr string, st *state.State) error {
	return withHint(fmt.Errorf("no record for %s in state", addr), "certform state list shows the addresses in state")
}

// force-unlock ID: a local lock is a flock, which the kernel drops when its
// holder exits, so it is never stale; this explains who holds it.
func runForceUnlock(ctx context.Context, g *GlobalOptions, args []string, s Streams) (int, error) {
	fs := newFlagSet("force-unlock", g, s)
	if err := fs.Parse(args); err != nil {
		return exitError, err
	}
	if fs.NArg() != 1 {
		return exitError, withHint(errors.New("force-unlock takes the lock ID"), "the ID is in the error of the run that found the state locked")
	}
	w, err := openWorkspace(g, s)
	if err != nil {
		return exitError, err
	}
	err = w.backend.Lock(ctx, state.NewLockInfo("force-unlock"), 0)
	var locked *state.LockedError
	switch {
	case err == nil:
		w.backend.Unlock()
		fmt.Fprintln(s.Out, "The state is not locked.")
		return exitOK, nil
	case errors.As(err, &locked):
		if locked.Holder.ID != fs.Arg(0) {
			return exitError, withHint(fmt.Errorf("the lock ID is %s, not %s", locked.Holder.ID, fs.Arg(0)), "check the ID")
		}
		return exitError, withHint(fmt.Errorf("%v: a local lock is released only when that process exits", locked),
			fmt.Sprintf("stop process %d on %s; a local lock is never left behind by a crashed run", locked.Holder.PID, locked.Holder.Who))
	}
	return exitError, err
}
