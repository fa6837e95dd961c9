package systemd

import (
	"context"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"sync"
)

// Fake is an in-memory Manager for tests. Units start "inactive"; Start makes
// them active unless FailStart names them, and every call is recorded as the
// systemctl command line it stands for ("start a.service b.service").
type Fake struct {
	mu        sync.Mutex
	Units     map[string]*UnitStatus
	Calls     []string
	FailStart map[string]string // unit -> Result to report ("exit-code")
	Logs      map[string][]string
	// Reload, when set, runs on DaemonReload (e.g. to "generate" units).
	Reload func(f *Fake)
}

// NewFake returns a Fake that knows the given units.
func NewFake(units ...string) *Fake {
	f := &Fake{Units: map[string]*UnitStatus{}, FailStart: map[string]string{}, Logs: map[string][]string{}}
	for _, u := range units {
		f.Add(u)
	}
	return f
}

// Add makes a unit known (loaded, inactive).
func (f *Fake) Add(unit string) {
	f.Units[unit] = &UnitStatus{Name: unit, LoadState: "loaded", ActiveState: "inactive", SubState: "dead", Result: "success"}
}

func (f *Fake) record(verb string, units []string) {
	f.Calls = append(f.Calls, strings.TrimSpace(verb+" "+strings.Join(units, " ")))
}

// CallLog returns the recorded calls.
func (f *Fake) CallLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.Calls...)
}

func (f *Fake) each(verb string, units []string, fn func(u *UnitStatus) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(verb, units)
	for _, name := range units {
		u, ok := f.Units[name]
		if !ok {
			return &CmdError{Argv: []string{"systemctl", verb, name}, Code: 5,
				Stderr: fmt.Sprintf("Failed to %s %s: Unit %s not found.", verb, name, name)}
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fake) start(u *UnitStatus) error {
	if res, bad := f.FailStart[u.Name]; bad {
		u.ActiveState, u.SubState, u.Result, u.ExecMainCode, u.ExecMainStatus = "failed", "failed", res, 1, 1
		return &CmdError{Argv: []string{"systemctl", "start", u.Name}, Code: 1,
			Stderr: fmt.Sprintf("Job for %s failed because the control process exited with error code.", u.Name)}
	}
	u.ActiveState, u.SubState, u.Result = "active", "running", "success"
	return nil
}

// Start implements Manager.
func (f *Fake) Start(_ context.Context, units ...string) error {
	return f.each("start", units, f.start)
}

// Restart implements Manager.
func (f *Fake) Restart(_ context.Context, units ...string) error {
	return f.each("restart", units, f.start)
}

// Stop implements Manager.
func (f *Fake) Stop(_ context.Context, units ...string) error {
	return f.each("stop", units, func(u *UnitStatus) error {
		u.ActiveState, u.SubState = "inactive", "dead"
		return nil
	})
}

// Enable implements Manager.
func (f *Fake) Enable(_ context.Context, units ...string) error {
	return f.each("enable", units, func(*UnitStatus) error { return nil })
}

// Disable implements Manager.
func (f *Fake) Disable(_ context.Context, units ...string) error {
	return f.each("disable", units, func(*UnitStatus) error { return nil })
}

// ResetFailed implements Manager.
func (f *Fake) ResetFailed(_ context.Context, units ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("reset-failed", units)
	return nil
}

// DaemonReload implements Manager.
func (f *Fake) DaemonReload(context.Context) error {
	f.mu.Lock()
	f.record("daemon-reload", nil)
	reload := f.Reload
	f.mu.Unlock()
	if reload != nil {
		reload(f)
	}
	return nil
}

// Status implements Manager.
func (f *Fake) Status(_ context.Context, units ...string) ([]UnitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]UnitStatus, 0, len(units))
	for _, name := range units {
		if u, ok := f.Units[name]; ok {
			out = append(out, *u)
		} else {
			out = append(out, UnitStatus{Name: name, LoadState: "not-found", ActiveState: "inactive", SubState: "dead"})
		}
	}
	return out, nil
}

// List implements Manager.
func (f *Fake) List(_ context.Context, patterns ...string) ([]UnitStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []UnitStatus
	for name, u := range f.Units {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				out = append(out, *u)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Journal implements Manager: the units' Logs, unit by unit.
func (f *Fake) Journal(_ context.Context, o JournalOptions, w io.Writer) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var lines []string
	for _, u := range o.Units {
		lines = append(lines, f.Logs[u]...)
	}
	if o.Lines > 0 && len(lines) > o.Lines {
		lines = lines[len(lines)-o.Lines:]
	}
	for _, l := range lines {
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}
