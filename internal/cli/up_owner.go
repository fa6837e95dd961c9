package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/berth-dev/berth/internal/run"
)

// One process supervises a project at a time (run.Store.Claim):
//
//   - `up -d` leaves `berth supervise`, or asks the running one to reload.
//   - A foreground `up` supervises the stack itself and stops it on Ctrl-C.
//   - A foreground `up` while a detached supervisor runs hands the stack to
//     it: it starts what is missing, has the supervisor reload, streams the
//     logs, and Ctrl-C only stops the streaming: the stack stays up under
//     the supervisor, and `berth down` stops it.
//   - `up` or `up -d` while a foreground `up` runs is refused: that session
//     stops the stack when it ends, so nothing else may take over under it.
//   - A supervisor recorded but gone (SIGKILL, crash) is reported; `up -d`
//     starts a fresh one, which adopts the containers `up` kept unchanged.

// upOwner settles who supervises the project for this `up`. release is
// non-nil when this process is the foreground supervisor; owner is a live
// detached supervisor a foreground up hands the stack to.
func (a *app) upOwner(p *run.Project, detach bool) (release func(), owner run.Owner, err error) {
	o, err := p.Store.Owner()
	if err != nil {
		return nil, run.Owner{}, err
	}
	if o.Stale() {
		next := "this up supervises the stack now"
		if detach {
			next = "starting a new supervisor, which adopts the containers left unchanged"
		}
		a.warnStale(p, o, next)
	}
	if o.Alive && o.Foreground {
		return nil, run.Owner{}, a.refuseForeground(p, o)
	}
	if detach || o.Alive {
		return nil, o, nil
	}
	release, _, err = p.Store.Claim(os.Getpid(), true, run.RealClock{})
	var busy *run.BusyError
	if errors.As(err, &busy) { // another up claimed it a moment ago
		if busy.Owner.Foreground {
			return nil, run.Owner{}, a.refuseForeground(p, busy.Owner)
		}
		return nil, busy.Owner, nil
	}
	return release, run.Owner{}, err
}

func (a *app) refuseForeground(p *run.Project, o run.Owner) error {
	return fmt.Errorf("%s already runs %s and stops it when it ends: stop it first (Ctrl-C there, or kill %d), "+
		"or watch it with `berth logs -f`", o, p.Stack.Project, o.PID)
}

// warnStale says that the recorded supervisor is gone, and what happens
// next.
func (a *app) warnStale(p *run.Project, o run.Owner, next string) {
	fmt.Fprintf(a.stderr, "%s: warning: %s of %s is gone (killed, or the host restarted): "+
		"no container was restarted and no health check ran since; %s\n", programName, o, p.Stack.Project, next)
}

// handedOff streams the logs of a stack a detached supervisor owns until
// Ctrl-C or SIGTERM, and leaves the stack running.
func (a *app) handedOff(ctx context.Context, p *run.Project, o run.Owner) {
	fmt.Fprintf(a.stderr, "%s is supervised by %s (berth up -d): streaming logs; Ctrl-C stops streaming, "+
		"not the stack (`berth down` stops it)\n", p.Stack.Project, o)
	go a.streamLogs(ctx, p, containerServices(p), logsOptions{follow: true, tail: 0})
	<-ctx.Done()
	fmt.Fprintf(a.stderr, "%s stays up under %s\n", p.Stack.Project, o)
}

func containerServices(p *run.Project) []string {
	var names []string
	for _, u := range p.Stack.Units {
		if u.Kind == run.KindContainer {
			names = append(names, u.Service)
		}
	}
	return names
}
