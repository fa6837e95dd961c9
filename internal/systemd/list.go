package systemd

import (
	"context"
	"path/filepath"
)

// StackStatus is an installed stack and the state of its services.
type StackStatus struct {
	Stack  string          `json:"stack"`
	Scope  Scope           `json:"scope"`
	Dir    string          `json:"dir"`
	Source string          `json:"source"`
	Units  []UnitListEntry `json:"units"`
}

// UnitListEntry is one row of `berth list`.
type UnitListEntry struct {
	Service     string `json:"service"`
	Type        string `json:"type"`   // container, volume, network, ...
	Source      string `json:"source"` // the installed quadlet file
	LoadState   string `json:"load_state"`
	ActiveState string `json:"active_state"`
	SubState    string `json:"sub_state"`
	Result      string `json:"result,omitempty"`
}

// List reports the installed stacks of a layout with their services'
// states. A manager that cannot be reached leaves the states empty and
// returns its error with the stacks.
func List(ctx context.Context, l Layout, mgr Manager) ([]StackStatus, []error) {
	ms, errs := Manifests(l)
	var out []StackStatus
	for _, m := range ms {
		ss := StackStatus{Stack: m.Stack, Scope: m.Scope, Dir: m.Dir, Source: m.Source}
		sts, err := mgr.Status(ctx, m.Services()...)
		if err != nil {
			errs = append(errs, err)
		}
		for i, u := range m.Units {
			e := UnitListEntry{Service: u.Service, Type: u.Kind, Source: filepath.Join(m.Dir, u.Source)}
			if i < len(sts) {
				e.LoadState, e.ActiveState, e.SubState, e.Result = sts[i].LoadState, sts[i].ActiveState, sts[i].SubState, sts[i].Result
			}
			ss.Units = append(ss.Units, e)
		}
		out = append(out, ss)
	}
	return out, errs
}
