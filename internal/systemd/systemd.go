// Package systemd installs quadlet stacks where systemd's generators find
// them and manages the resulting services: install, uninstall, list, status,
// start/stop/restart in dependency order and journal reading.
//
// It talks to systemd through the systemctl and journalctl programs, behind a
// Runner seam, rather than through systemd's D-Bus API (go-systemd's dbus
// package would be the alternative):
//
//   - the commands behave identically wherever berth runs: on a host, inside
//     a systemd-nspawn container entered with nsenter (berth's end-to-end
//     tests), or over ssh; D-Bus needs the right bus socket in the caller's
//     mount namespace and credentials the bus accepts;
//   - `systemctl --user` finds the user manager through $XDG_RUNTIME_DIR/
//     systemd/private even when no session bus is set up (su, sudo, cron),
//     where a D-Bus client needs DBUS_SESSION_BUS_ADDRESS;
//   - journalctl reads every journal format and merges units by time; the
//     journal API needs cgo (libsystemd's sd-journal) and berth is one
//     static binary;
//   - error messages are systemd's own, which users already know, and every
//     call can be shown as the command a user would type.
//
// The price is parsing text output; only the stable `systemctl show`
// Key=Value format and `list-units --plain --no-legend` columns are parsed.
//
// Warnings (rootless pitfalls, generator choices) are returned as values;
// callers print them.
package systemd

import (
	"context"
	"io"
)

// Scope says which systemd manager a stack belongs to.
type Scope string

// The two managers.
const (
	System Scope = "system"
	User   Scope = "user"
)

// Manager is what berth needs from a systemd service manager. Unit names are
// full names ("db.service").
type Manager interface {
	Start(ctx context.Context, units ...string) error
	Stop(ctx context.Context, units ...string) error
	Restart(ctx context.Context, units ...string) error
	Enable(ctx context.Context, units ...string) error
	Disable(ctx context.Context, units ...string) error
	ResetFailed(ctx context.Context, units ...string) error
	DaemonReload(ctx context.Context) error
	// Status reports each unit's state, in the order asked; a unit systemd
	// does not know has LoadState "not-found".
	Status(ctx context.Context, units ...string) ([]UnitStatus, error)
	// List reports the loaded units whose names match the glob patterns.
	List(ctx context.Context, patterns ...string) ([]UnitStatus, error)
	// Journal writes the units' journal, merged by time, to w.
	Journal(ctx context.Context, opts JournalOptions, w io.Writer) error
}

// UnitStatus is the state of one unit as `systemctl show` reports it.
type UnitStatus struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	LoadState      string `json:"load_state"`   // loaded, not-found, masked, ...
	ActiveState    string `json:"active_state"` // active, inactive, failed, activating, ...
	SubState       string `json:"sub_state"`    // running, exited, dead, auto-restart, ...
	Result         string `json:"result,omitempty"`
	ExecMainCode   int    `json:"exec_main_code,omitempty"` // 1 exited, 2 killed, 3 dumped
	ExecMainStatus int    `json:"exec_main_status,omitempty"`
	SourcePath     string `json:"source_path,omitempty"`
	FragmentPath   string `json:"fragment_path,omitempty"`
	MainPID        int    `json:"main_pid,omitempty"`
	// InvocationID changes at every start: a restart propagated by systemd
	// (Requires=, BindsTo=, PartOf=) is seen by it.
	InvocationID string `json:"invocation_id,omitempty"`
}

// Active reports whether the unit is up: running, or a oneshot that is done
// and remains active.
func (u UnitStatus) Active() bool { return u.ActiveState == "active" || u.ActiveState == "reloading" }

// Failed reports whether systemd considers the unit failed.
func (u UnitStatus) Failed() bool { return u.ActiveState == "failed" }

// JournalOptions select journal lines.
type JournalOptions struct {
	Units  []string
	Follow bool
	Lines  int // 0: all
	Since  string
}
