package run

import (
	"context"
	"slices"
	"sort"
)

// Propagation between supervised units follows systemd.unit(5):
//
//   - BindsTo=X: when X's main process ends, the unit is stopped too, and it
//     is started again after X when X is restarted.
//   - PartOf=X: when X is restarted (or stopped by berth stop, which the
//     plan handles), the unit is restarted (stopped) too; X merely exiting
//     for good leaves it alone, as in systemd.
//   - Upholds=Y on an active unit: Y is started again whenever it ends, even
//     with Restart=no (the start limit still applies). A unit the user
//     stopped stays stopped: berth stop wins over Upholds=.
//
// Dependants are stopped before X's RestartSec wait and started in
// dependency order once X is ready again; a unit held like this has no main
// PID, so the watch loop leaves it to the unit it depends on.

// upheld reports whether another running watched unit upholds w.
func (s *Supervisor) upheld(w *watch) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.watches {
		if v != w && v.pid > 0 && v.held == "" && slices.Contains(v.unit.Svc.Deps.Upholds, w.unit.Name) {
			return true
		}
	}
	return false
}

// dependants are the watched units that go down with w, transitively:
// BindsTo= always, PartOf= only when w is restarted. They are returned in
// start order. Units busy with their own exit handle it themselves.
func (s *Supervisor) dependants(w *watch, restarting bool) []*watch {
	s.mu.Lock()
	defer s.mu.Unlock()
	down := map[string]bool{w.unit.Name: true}
	var out []*watch
	for changed := true; changed; {
		changed = false
		for _, v := range s.watches {
			if down[v.unit.Name] || v.busy || v.held != "" {
				continue
			}
			deps := v.unit.Svc.Deps
			isDown := func(u string) bool { return down[u] }
			if slices.ContainsFunc(deps.BindsTo, isDown) || restarting && slices.ContainsFunc(deps.PartOf, isDown) {
				down[v.unit.Name], changed = true, true
				out = append(out, v)
			}
		}
	}
	return startOrder(out)
}

// startOrder sorts watches so that each comes after the units it is
// ordered after (After=) or requires; ties by name, for a stable order.
func startOrder(ws []*watch) []*watch {
	sort.Slice(ws, func(i, j int) bool { return ws[i].unit.Name < ws[j].unit.Name })
	in := map[string]bool{}
	for _, w := range ws {
		in[w.unit.Name] = true
	}
	placed := map[string]bool{}
	var out []*watch
	for len(out) < len(ws) {
		progress := false
		for _, w := range ws {
			if placed[w.unit.Name] {
				continue
			}
			ready := true
			for _, d := range concat(w.unit.Svc.Deps.After, w.unit.Svc.Requirements()) {
				if in[d] && !placed[d] && d != w.unit.Name {
					ready = false
				}
			}
			if ready {
				placed[w.unit.Name], progress = true, true
				out = append(out, w)
			}
		}
		if !progress { // an ordering cycle: keep name order for the rest
			for _, w := range ws {
				if !placed[w.unit.Name] {
					placed[w.unit.Name] = true
					out = append(out, w)
				}
			}
		}
	}
	return out
}

// hold stops the dependants of cause, dependants last in start order
// first, and marks them held so that nothing restarts them on their own.
// The caller holds the project lock.
func (s *Supervisor) hold(ctx context.Context, cause *watch, ds []*watch) {
	for i := len(ds) - 1; i >= 0; i-- {
		d := ds[i]
		s.mu.Lock()
		d.held, d.pid, d.health = cause.unit.Name, 0, ""
		s.mu.Unlock()
		s.logf("%s: stopping: %s went down", d.unit.Service, cause.unit.Name)
		_ = s.P.Exec.Stop(ctx, d.unit, 0)
		s.setState(d, "stopped ("+cause.unit.Name+" went down)", false)
	}
}

// release starts the held dependants again, in start order, once cause is
// back; the caller holds the project lock. One the user stopped meanwhile,
// or an `up` already started, is left as it is.
func (s *Supervisor) release(ctx context.Context, cause *watch, ds []*watch) {
	for _, d := range ds {
		s.mu.Lock()
		held := d.held == cause.unit.Name
		d.held = ""
		s.mu.Unlock()
		if !held || !s.stillWanted(ctx, d) {
			continue
		}
		st, err := s.startUnit(ctx, d.unit)
		if err != nil {
			s.logf("%s: start after %s failed: %v", d.unit.Service, cause.unit.Name, err)
			s.setState(d, "failed (start after "+cause.unit.Name+")", false)
			continue
		}
		s.mu.Lock()
		d.restarts++
		s.mu.Unlock()
		s.Metrics.ServiceRestarted(d.unit.Service)
		s.restarted(ctx, d, st)
	}
}

// abandon leaves the held dependants stopped for good: cause will not come
// back. They stay held until an `up` starts them again (Reload sees them
// active in the state file).
func (s *Supervisor) abandon(cause *watch, ds []*watch) {
	for _, d := range ds {
		s.setState(d, "stopped ("+cause.unit.Name+" "+stateLabel(cause.state)+")", false)
	}
}
