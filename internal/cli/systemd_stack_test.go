package cli

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/internal/systemd"
)

// ps of an installed stack speaks the executor's rows: systemd's state and
// sub-state, the main PID, a signal as 128+N.
func TestSystemdStatusRows(t *testing.T) {
	fake := systemd.NewFake("db.service", "web.service")
	fake.Units["db.service"].ActiveState, fake.Units["db.service"].SubState, fake.Units["db.service"].MainPID = "active", "running", 42
	w := fake.Units["web.service"]
	w.ActiveState, w.SubState, w.ExecMainCode, w.ExecMainStatus = "failed", "failed", 2, 9
	st := &systemd.Stack{Manager: fake, Manifest: &systemd.Manifest{Stack: "app", Units: []systemd.ManifestUnit{
		{Source: "db.container", Service: "db.service", Kind: "container"},
		{Source: "web.container", Service: "web.service", Kind: "container"}}}}
	rows, err := systemdStatus(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	db, web := rows[0], rows[1]
	if db.Service != "db" || db.State != "active (running)" || db.PID != 42 || db.Kind != "container" || db.LastExit != nil {
		t.Errorf("db: %+v", db)
	}
	if web.State != "failed (failed)" || web.LastExit == nil || *web.LastExit != 137 {
		t.Errorf("web: %+v", web)
	}
}
