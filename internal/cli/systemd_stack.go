package cli

import (
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
	st.Log = a.stdout
	return st, true, nil
}
