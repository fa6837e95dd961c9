package run

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/systemd"
)

// sdApply carries out a plan with systemd: the systemd side of Apply.
type sdApply struct {
	o      InstallOptions
	st     *Stack
	plan   *Plan
	before map[string]systemd.UnitStatus // as observed
	old    *systemd.Manifest             // the installed manifest before, nil for a first install
	sds    *systemd.Stack
	staged string // the staged files: what is installed
	// started are the units this apply started or restarted, for --wait.
	started []string
}

func (a *sdApply) printf(format string, args ...any) {
	if a.o.Out != nil {
		fmt.Fprintf(a.o.Out, format+"\n", args...)
	}
}

// run stops the dropped units, installs the files (then the dropped ones
// are gone), starts and restarts in plan order, and removes the networks
// of dropped .network units that no other stack uses.
func (a *sdApply) run(ctx context.Context, rep *InstallReport) error {
	mgr := a.o.Install.Manager
	var errs []error
	var removed []string
	for _, s := range a.plan.Steps {
		if s.Action != ActRemove {
			continue
		}
		a.printf("%s", s)
		removed = append(removed, s.Name)
		if was, ok := a.before[s.Name]; ok && was.LoadState == "not-found" && was.ActiveState == "inactive" {
			continue // gone already (an interrupted apply got this far)
		}
		if err := mgr.Stop(ctx, s.Name); err != nil && !notLoaded(err) {
			errs = append(errs, fmt.Errorf("stopping %s: %w", s.Name, err))
		}
	}
	if len(removed) > 0 {
		_ = mgr.ResetFailed(ctx, removed...)
	}
	if err := ctx.Err(); err != nil {
		return errors.Join(append(errs, err)...)
	}
	in := a.o.Install
	in.Source, in.Now = a.staged, false // the files planned, not the folder again
	res, err := systemd.Install(ctx, in)
	rep.Result = res
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, s := range a.plan.Steps {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := a.step(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, a.removeNetworks(ctx, removed)...)
	a.printf("%s", strings.Replace(a.plan.Summary(), "plan:", "applied:", 1))
	return errors.Join(errs...)
}

// notLoaded reports systemctl's "Unit X not loaded." (exit status 5): a
// unit that is not loaded does not run, which is what stopping it wants.
func notLoaded(err error) bool {
	var ce *systemd.CmdError
	return errors.As(err, &ce) && ce.Code == 5
}

// step starts or restarts one unit and waits until it is active.
func (a *sdApply) step(ctx context.Context, s *Step) error {
	if s.Action == ActRemove || strings.Contains(s.Name, "@.") {
		return nil
	}
	if s.Action == ActKeep || s.NoStart {
		a.printf("%s", s)
		return nil
	}
	t0 := time.Now()
	mgr := a.o.Install.Manager
	if d := a.o.Install.Timeout; d > 0 { // install --timeout: how long one unit may take
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	var err error
	switch s.Action {
	case ActAdd, ActStart:
		err = mgr.Start(ctx, s.Name)
	default:
		if a.restartedAlready(ctx, s.Name) {
			break
		}
		err = mgr.Restart(ctx, s.Name)
	}
	a.started = append(a.started, s.Name)
	st, werr := a.sds.Await(ctx, s.Name)
	if err == nil {
		err = werr
	} else if werr != nil {
		err = werr // it names the unit and holds its journal
	}
	if err != nil {
		a.printf("%s: failed", s)
		return err
	}
	a.printf("%s: %s (%s) in %.1fs", s, st.ActiveState, st.SubState, time.Since(t0).Seconds())
	return nil
}

// restartedAlready reports whether systemd restarted the unit along with a
// unit it requires, is bound to or part of (a new invocation since the
// plan was made).
func (a *sdApply) restartedAlready(ctx context.Context, name string) bool {
	was, ok := a.before[name]
	if !ok || was.InvocationID == "" {
		return false
	}
	sts, err := a.o.Install.Manager.Status(ctx, name)
	if err != nil || len(sts) == 0 {
		return false
	}
	now := sts[0]
	return now.InvocationID != "" && now.InvocationID != was.InvocationID &&
		(now.Active() || now.ActiveState == "activating")
}

// removeNetworks removes the podman networks of dropped .network units,
// unless another installed stack has a unit for the same network (podman
// also refuses while a container uses it: then it stays, and that is said).
func (a *sdApply) removeNetworks(ctx context.Context, removed []string) []error {
	nets := a.o.Networks
	if nets == nil && a.o.Podman != nil {
		nets = a.o.Podman
	}
	if nets == nil || a.old == nil || len(removed) == 0 {
		return nil
	}
	gone := map[string]bool{}
	for _, n := range removed {
		gone[n] = true
	}
	used := map[string]bool{}
	others, _ := systemd.Manifests(a.o.Install.Layout)
	for _, m := range others {
		if m.Stack == a.old.Stack {
			continue
		}
		for _, u := range m.Units {
			used[u.Resource] = true
		}
	}
	for _, u := range a.st.Units {
		used[u.Resource] = true
	}
	var errs []error
	for _, u := range append(append([]systemd.ManifestUnit(nil), a.old.Units...), a.old.Dropped...) {
		if u.Kind != "network" || u.Resource == "" || !gone[u.Service] || used[u.Resource] {
			continue
		}
		ok, err := nets.RemoveNetwork(ctx, u.Resource)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("network %s of %s was kept: %w", u.Resource, u.Source, err))
		case ok:
			a.printf("removed network %s", u.Resource)
		}
	}
	return errs
}

// waitReady waits until every unit the apply started is active and, when
// it has a health check, healthy; a unit that fails or turns unhealthy
// ends the wait at once.
func (a *sdApply) waitReady(ctx context.Context, timeout time.Duration) error {
	if len(a.started) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t0 := time.Now()
	pending := append([]string(nil), a.started...)
	sort.Strings(pending)
	for {
		var still []string
		for _, name := range pending {
			ready, err := a.ready(ctx, name)
			if err != nil {
				return err
			}
			if !ready {
				still = append(still, name)
			}
		}
		if len(still) == 0 {
			a.printf("ready: %d units active and healthy in %.1fs", len(a.started), time.Since(t0).Seconds())
			return nil
		}
		pending = still
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %s", timeout, strings.Join(pending, ", "))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// ready reports whether a unit is active (or a oneshot done) and healthy.
func (a *sdApply) ready(ctx context.Context, name string) (bool, error) {
	sts, err := a.o.Install.Manager.Status(ctx, name)
	if err != nil || len(sts) == 0 {
		return false, err
	}
	s := sts[0]
	u := a.st.Unit(name)
	switch {
	case s.Failed():
		return false, fmt.Errorf("%s failed (%s)", name, s.Result)
	case s.ActiveState == "inactive" && u != nil && u.Svc.Type == "oneshot" && s.Result == "success":
		return true, nil
	case !s.Active():
		return false, nil
	}
	if u == nil || u.Kind != KindContainer || u.Resource == "" || !strings.Contains(u.Text, "--health-cmd") || a.o.Podman == nil {
		return true, nil
	}
	c, err := a.o.Podman.Inspect(ctx, u.Resource)
	if err != nil || c == nil {
		return false, nil
	}
	switch c.Health {
	case "healthy":
		return true, nil
	case "unhealthy":
		return false, fmt.Errorf("%s: container %s is unhealthy", name, u.Resource)
	}
	return false, nil // starting, or no result yet
}
