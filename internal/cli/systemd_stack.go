package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/systemd"
)

// installedStack returns the systemd side of a project when `berth install`
// installed it: logs, start, stop and restart then go through systemctl and
// journalctl (Stack.Logs/Start/Stop/Restart) instead of the built-in
// executor, so a user learns one vocabulary for both. ok is false when the
// stack is not installed (or its manifest cannot be read: err says why).
func (a *app) installedStack(project string) (st *systemd.Stack, ok bool, err error) {
	ok, m, err := systemd.Installed(project)
	if !ok || err != nil {
		return nil, false, err
	}
	st = systemd.Open(m)
	// Progress goes where the executor's goes, so that scripts that read
	// stdout see the same output either way.
	st.Log = a.stderr
	return st, true, nil
}

// systemdStack is installedStack for the stack of -C/-p: the same name
// `berth install` gave it.
func (a *app) systemdStack() (*systemd.Stack, bool, error) {
	dir, err := a.global.workDir()
	if err != nil {
		return nil, false, err
	}
	return a.installedStack(a.global.projectName(dir))
}

// selectUnits maps SERVICE arguments to an installed stack's units, a
// usage error when one is unknown (as with the executor).
func selectUnits(st *systemd.Stack, args []string) ([]string, error) {
	units, err := st.Select(args...)
	if err != nil {
		return nil, &usageError{err: err}
	}
	return units, nil
}

// systemdVerb runs verb (Stop, Restart) on the units args select when the
// stack is installed under systemd, and prints them with done. installed is
// false when it is not: the executor must do the work.
func (a *app) systemdVerb(ctx context.Context, args []string, verb func(*systemd.Stack, context.Context, ...string) error, done string) (installed bool, err error) {
	st, ok, err := a.systemdStack()
	if err != nil || !ok {
		return false, err
	}
	units, err := selectUnits(st, args)
	if err != nil {
		return true, err
	}
	if err := verb(st, ctx, units...); err != nil {
		return true, err
	}
	a.printUnits(units, done)
	return true, nil
}

// printUnits prints "service  what" per unit, as the executor's progress does.
func (a *app) printUnits(units []string, what string) {
	for _, u := range units {
		fmt.Fprintf(a.stderr, "%-14s %s\n", strings.TrimSuffix(u, ".service"), what)
	}
}

// systemdStatus is `berth ps` of an installed stack: systemd's states in the
// executor's rows.
func systemdStatus(ctx context.Context, st *systemd.Stack) ([]run.ServiceStatus, error) {
	sts, err := st.Status(ctx)
	if err != nil {
		return nil, err
	}
	kinds := map[string]string{}
	for _, u := range st.Manifest.Units {
		kinds[u.Service] = u.Kind
	}
	rows := make([]run.ServiceStatus, 0, len(sts))
	for _, s := range sts {
		r := run.ServiceStatus{Service: strings.TrimSuffix(s.Name, ".service"), Unit: s.Name, Kind: kinds[s.Name],
			State: s.ActiveState, PID: s.MainPID}
		if s.SubState != "" {
			r.State += " (" + s.SubState + ")"
		}
		if s.ExecMainCode != 0 {
			code := s.ExecMainStatus
			if s.ExecMainCode != 1 { // killed or dumped: a signal, as 128+N
				code += 128
			}
			r.LastExit = &code
		}
		rows = append(rows, r)
	}
	return rows, nil
}
