package systemd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Stack is an installed stack and the manager that runs it.
type Stack struct {
	Manifest *Manifest
	Manager  Manager
	Log      io.Writer
	// Poll is how often a unit that is still activating is checked; zero
	// means 200 ms.
	Poll time.Duration
}

// Installed reports whether a stack of that name is installed for this
// process's user: the system scope is looked at first when running as root,
// then the user scope. The manifest says which scope it is in.
func Installed(stack string) (bool, *Manifest, error) {
	scopes := []Scope{User}
	if os.Getuid() == 0 {
		scopes = []Scope{System, User}
	}
	for _, s := range scopes {
		l, err := HostLayout(s)
		if err != nil {
			continue
		}
		ok, m, err := InstalledIn(l, stack)
		if ok || err != nil {
			return ok, m, err
		}
	}
	return false, nil, nil
}

// InstalledIn is Installed for one layout.
func InstalledIn(l Layout, stack string) (bool, *Manifest, error) {
	if stack == "" || !stackNameRE.MatchString(stack) {
		return false, nil, nil
	}
	m, err := ReadManifest(l.ManifestPath(stack))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil, nil
	case err != nil:
		return false, nil, err
	}
	return true, m, nil
}

// Open returns the Stack of an installed manifest, managed by systemctl.
func Open(m *Manifest) *Stack { return &Stack{Manifest: m, Manager: NewSystemctl(m.Scope)} }

// Select maps service or file names ("db", "db.service", "db.container") to
// the stack's services, in start order; none selects all.
func (s *Stack) Select(names ...string) ([]string, error) {
	all := s.Manifest.Services()
	if len(names) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, n := range names {
		found := false
		for _, u := range s.Manifest.Units {
			if n == u.Service || n == u.Source || n+".service" == u.Service || n == strings.TrimSuffix(u.Source, "."+u.Kind) {
				want[u.Service], found = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("stack %s has no service %q; it has %s", s.Manifest.Stack, n, strings.Join(all, ", "))
		}
	}
	var out []string
	for _, u := range all {
		if want[u] {
			out = append(out, u)
		}
	}
	return out, nil
}

// StartAll starts every service in dependency order and waits until each is
// active; a failure is a *StartError naming the unit, its result and its
// last journal lines.
func (s *Stack) StartAll(ctx context.Context, timeout time.Duration) error {
	return s.Start(ctx, timeout, s.Manifest.Services()...)
}

// Start starts the given services, in the order given (Select's order).
func (s *Stack) Start(ctx context.Context, timeout time.Duration, units ...string) error {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for _, u := range units {
		t0 := time.Now()
		err := s.Manager.Start(ctx, u)
		st, werr := s.wait(ctx, u)
		if err != nil || werr != nil || !st.Active() && !(st.ActiveState == "inactive" && st.Result == "success") {
			return s.startError(u, st, firstErr(err, werr))
		}
		logf(s.Log, "%-32s %s (%s) in %.1fs", u, st.ActiveState, st.SubState, time.Since(t0).Seconds())
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// wait polls a unit while it is activating (a restart in progress).
func (s *Stack) wait(ctx context.Context, unit string) (UnitStatus, error) {
	poll := s.Poll
	if poll == 0 {
		poll = 200 * time.Millisecond
	}
	for {
		sts, err := s.Manager.Status(context.WithoutCancel(ctx), unit)
		if err != nil || len(sts) == 0 {
			return UnitStatus{Name: unit}, err
		}
		st := sts[0]
		if st.ActiveState != "activating" && st.ActiveState != "deactivating" {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("%s still %s (%s): %w", unit, st.ActiveState, st.SubState, ctx.Err())
		case <-time.After(poll):
		}
	}
}

// Await waits while a unit is activating or deactivating (a start or
// restart in progress) and returns a *StartError when it did not end up
// active (or, for a oneshot, done with success).
func (s *Stack) Await(ctx context.Context, unit string) (UnitStatus, error) {
	st, err := s.wait(ctx, unit)
	if err != nil || !st.Active() && !(st.ActiveState == "inactive" && st.Result == "success") {
		return st, s.startError(unit, st, err)
	}
	return st, nil
}

// StartError is a service that did not become active.
type StartError struct {
	Unit    string
	Status  UnitStatus
	Journal string // its last journal lines
	Err     error
	Scope   Scope
}

func (e *StartError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s did not start: state %s (%s), result %s", e.Unit, e.Status.ActiveState, e.Status.SubState, e.Status.Result)
	if e.Status.ExecMainCode != 0 {
		fmt.Fprintf(&b, ", main process exit status %d", e.Status.ExecMainStatus)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "\n  %v", e.Err)
	}
	if j := strings.TrimSpace(e.Journal); j != "" {
		b.WriteString("\n  last journal lines:\n    " + strings.ReplaceAll(j, "\n", "\n    "))
	}
	fmt.Fprintf(&b, "\n  (see `journalctl%s -u %s` and `systemctl%s status %s`)", scopeFlag(e.Scope), e.Unit, scopeFlag(e.Scope), e.Unit)
	return b.String()
}

func (e *StartError) Unwrap() error { return e.Err }

func (s *Stack) startError(unit string, st UnitStatus, err error) error {
	var j bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.Manager.Journal(ctx, JournalOptions{Units: []string{unit}, Lines: 15}, &j)
	return &StartError{Unit: unit, Status: st, Journal: j.String(), Err: err, Scope: s.Manifest.Scope}
}

// Stop stops the given services (all when none) in reverse start order.
func (s *Stack) Stop(ctx context.Context, units ...string) error {
	units, err := s.Select(units...)
	if err != nil {
		return err
	}
	var errs []error
	for i := len(units) - 1; i >= 0; i-- {
		if err := s.Manager.Stop(ctx, units[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Restart restarts the given services (all when none) in start order.
func (s *Stack) Restart(ctx context.Context, units ...string) error {
	units, err := s.Select(units...)
	if err != nil {
		return err
	}
	for _, u := range units {
		if err := s.Manager.Restart(ctx, u); err != nil {
			st, _ := s.wait(ctx, u)
			return s.startError(u, st, err)
		}
	}
	return nil
}

// Status reports the services' states (all when none are named).
func (s *Stack) Status(ctx context.Context, units ...string) ([]UnitStatus, error) {
	units, err := s.Select(units...)
	if err != nil {
		return nil, err
	}
	return s.Manager.Status(ctx, units...)
}

// Logs writes the services' journal (all when none are named), merged.
func (s *Stack) Logs(ctx context.Context, o JournalOptions, w io.Writer) error {
	units, err := s.Select(o.Units...)
	if err != nil {
		return err
	}
	o.Units = units
	return s.Manager.Journal(ctx, o, w)
}
