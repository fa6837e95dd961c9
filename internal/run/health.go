package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/podman"
)

// A health-gated container (Notify=healthy: `--sdnotify=healthy` from podman
// 4.7, an ExecStartPost health wait before) is ready only when podman says
// it is healthy. Running is not enough: an `up` killed while the container
// started leaves it running and unchecked, and the next `up` must not start
// its dependants before it passes its health check, whatever the state
// file says.

// healthGated reports whether a container unit is ready only when healthy.
func healthGated(u *Unit) bool {
	if u.Kind != KindContainer || len(u.Svc.ExecStart) == 0 {
		return false
	}
	argv := u.Svc.ExecStart[0].Argv
	hasCheck := false
	for i := 0; i < len(argv); i++ {
		name, val, _ := cutFlag(argv, &i)
		switch {
		case name == "--sdnotify" && (val == "healthy" || val == "" && i+1 < len(argv) && argv[i+1] == "healthy"):
			return true
		case name == "--health-cmd":
			hasCheck = val != "none"
		}
	}
	if !hasCheck {
		return false
	}
	for _, c := range u.Svc.ExecStartPost {
		if strings.Contains(strings.Join(c.Argv, " "), "health") {
			return true
		}
	}
	return false
}

// observeHealth marks running health-gated containers that podman does not
// report healthy as not ready (one podman call for all of them).
func (p *Project) observeHealth(ctx context.Context, gated []*Unit, obs Observed) error {
	if len(gated) == 0 {
		return nil
	}
	names := make([]string, len(gated))
	for i, u := range gated {
		names[i] = u.Resource
	}
	states, err := p.Podman.InspectMany(ctx, names...)
	if err != nil {
		return err
	}
	for _, u := range gated {
		if c := states[u.Resource]; c == nil || c.Health != "healthy" {
			o := obs[u.Name]
			o.Unready = true
			obs[u.Name] = o
		}
	}
	return nil
}

// awaitHealthy waits, within TimeoutStartSec, until a running container
// that was kept is healthy, and fails as its start's health gate would:
// at once when the container ends, or when podman marks it unhealthy (its
// check failed HealthRetries= times; see watchHealth). Without systemd no
// podman timer runs the checks, so it runs them itself, every
// HealthInterval= as podman's timer would (never faster: each failure
// counts towards HealthRetries=), the first one at once.
func (e *Executor) awaitHealthy(ctx context.Context, u *Unit) (*Started, error) {
	e.progress(u, "running (unchanged), not healthy yet: waiting for its health check")
	timeout := u.Svc.TimeoutStart
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	every := healthOf(u).interval
	if every <= 0 {
		every = time.Second // HealthInterval=disable: nothing else runs it
	}
	t0 := e.Clock.Now()
	next := t0
	fail := func(err error) (*Started, error) {
		e.progress(u, "failed: "+err.Error())
		return nil, &StartError{Unit: u.Name, Phase: "health check", Err: err}
	}
	for {
		c, err := e.Podman.Inspect(ctx, u.Resource)
		switch {
		case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return fail(fmt.Errorf("not healthy within %s (TimeoutStartSec=)", timeout))
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			return fail(err)
		case c == nil || !c.Running || c.Labels[LabelProject] != u.Project:
			return fail(errors.New("the container ended while berth waited for its health check"))
		case c.Health == "healthy":
			e.progress(u, fmt.Sprintf("ready (healthy after %s)", e.Clock.Now().Sub(t0).Round(time.Millisecond)))
			return nil, nil
		case c.Health == "unhealthy":
			return fail(fmt.Errorf("container %s is unhealthy (its health check failed HealthRetries= times)", u.Resource))
		}
		if now := e.Clock.Now(); !now.Before(next) {
			next = now.Add(every)
			if ok, _ := e.Podman.HealthcheckRun(ctx, u.Resource); ok {
				continue // inspect now shows healthy
			}
		}
		select {
		case <-ctx.Done():
		case <-e.Clock.After(healthPoll):
		}
	}
}

// notifiesHealthy reports whether a container's ExecStart= is podman's own
// health wait (`--sdnotify=healthy`, podman >= 4.7): podman then sends
// READY=1 only once the container is healthy and, when a check turns it
// unhealthy, keeps waiting while it runs.
func notifiesHealthy(u *Unit) bool {
	if len(u.Svc.ExecStart) == 0 {
		return false
	}
	argv := u.Svc.ExecStart[0].Argv
	for i := 0; i < len(argv); i++ {
		name, val, _ := cutFlag(argv, &i)
		if name == "--sdnotify" && (val == "healthy" || val == "" && i+1 < len(argv) && argv[i+1] == "healthy") {
			return true
		}
	}
	return false
}

// watchUnhealthy is watchHealth for a start that waits in podman's
// --sdnotify=healthy (UnhealthyFails only): podman itself fails the start
// when the container ends, but waits on while it runs unhealthy, so the
// returned context is cancelled, and stop says why, as soon as the
// container berth is starting runs unhealthy. The container that was there
// before the start (one `--replace` removes) is never judged.
func (e *Executor) watchUnhealthy(ctx context.Context, u *Unit) (context.Context, func() error) {
	old := ""
	if c, err := e.Podman.Inspect(ctx, u.Resource); err == nil && c != nil {
		old = c.ID
	}
	return e.pollContainer(ctx, u, func(c *podman.State) error {
		if c == nil || c.ID == old || !c.Running || c.Health != "unhealthy" || c.Labels[LabelProject] != u.Project {
			return nil
		}
		return &StartError{Unit: u.Name, Phase: "ExecStart", Reason: "container " + u.Resource + " is unhealthy",
			Err: fmt.Errorf("container %s is unhealthy (its health check failed HealthRetries= times)", u.Resource)}
	})
}

// pollContainer inspects u's container every healthPoll (nil when it is
// gone; a failed inspect is skipped) until judge returns why waiting on is
// pointless: then the returned context is cancelled, and stop returns why.
// watchHealth and watchUnhealthy share it.
func (e *Executor) pollContainer(ctx context.Context, u *Unit, judge func(*podman.State) error) (context.Context, func() error) {
	wctx, cancel := context.WithCancel(ctx)
	var why error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-wctx.Done():
				return
			case <-e.Clock.After(healthPoll):
			}
			c, err := e.Podman.Inspect(wctx, u.Resource)
			if err != nil {
				continue
			}
			if why = judge(c); why != nil {
				cancel()
				return
			}
		}
	}()
	return wctx, func() error {
		cancel()
		<-done
		return why
	}
}
