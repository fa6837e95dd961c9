package run

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/systemd"
	"github.com/berth-dev/berth/internal/version"
)

var sdStack = map[string]string{
	"app.network":    "[Network]\n",
	"keep.container": "[Container]\nImage=localhost/web\nNetwork=app.network\n",
	"change.container": "[Container]\nImage=localhost/web\nNetwork=app.network\nEnvironment=MESSAGE=v1\n" +
		"Volume=./conf.yml:/conf.yml:ro\n",
	"drop.container": "[Container]\nImage=localhost/web\nNetwork=app.network\n",
	"conf.yml":       "a: 1\n",
}

type sdEnv struct {
	src    string
	layout systemd.Layout
	fake   *systemd.Fake
	out    bytes.Buffer
	to     *Revision // the next install is a rollback to it
}

func newSdEnv(t *testing.T) *sdEnv {
	root := t.TempDir()
	e := &sdEnv{src: filepath.Join(root, "src", "demo"),
		layout: systemd.Layout{Scope: systemd.System, Root: filepath.Join(root, "sysroot"), UID: 0, UserName: "root"},
		fake:   systemd.NewFake("app-network.service", "keep.service", "change.service", "drop.service")}
	writeFiles(t, e.src, sdStack)
	return e
}

func (e *sdEnv) install(t *testing.T, src string, now, dry bool) (*InstallReport, []string, error) {
	t.Helper()
	origin := ""
	if src != e.src {
		origin = e.src // a revision's files
	}
	before := len(e.fake.CallLog())
	e.out.Reset()
	rep, err := InstallStack(context.Background(), InstallOptions{
		Install: systemd.InstallOptions{Source: src, Origin: origin, Stack: "demo", Layout: e.layout, Manager: e.fake,
			Host: systemd.Host{Podman: version.Must("5.4.0"), Generator: "/usr/lib/systemd/system-generators/podman-system-generator"}},
		UnitHost: testHost(), Now: now, DryRun: dry, RollbackTo: e.to, Out: &e.out})
	return rep, e.fake.CallLog()[before:], err
}

func TestInstallApplyChangeDropKeep(t *testing.T) {
	e := newSdEnv(t)
	rep, calls, err := e.install(t, e.src, true, false)
	if err != nil {
		t.Fatal(err, e.out.String())
	}
	if rep.Revision != 1 || strings.Count(strings.Join(calls, "\n"), "start ") != 4 {
		t.Errorf("first install: revision %d, calls %q\n%s", rep.Revision, calls, e.out.String())
	}

	// Change one unit's key and its bind-mounted file, drop another.
	writeFiles(t, e.src, map[string]string{"change.container": strings.Replace(sdStack["change.container"], "v1", "v2", 1)})
	os.Remove(filepath.Join(e.src, "drop.container"))
	rep, calls, err = e.install(t, e.src, false, true)
	if err != nil {
		t.Fatal(err)
	}
	want := "remove  drop.service (no longer in the stack)\nkeep    app-network.service\nchange  change.service (Environment=)\nkeep    keep.service\n"
	if got := rep.Plan.String(); got != want {
		t.Errorf("dry run plan:\n%s\nwant\n%s", got, want)
	}
	if len(calls) != 0 {
		t.Errorf("a dry run changed something: %q", calls)
	}
	if _, err := os.Stat(filepath.Join(e.layout.StackDir("demo"), "drop.container")); err != nil {
		t.Errorf("a dry run removed a file: %v", err)
	}

	writeFiles(t, e.src, map[string]string{"conf.yml": "a: 2\n"})
	rep, calls, err = e.install(t, e.src, false, false)
	if err != nil {
		t.Fatal(err, e.out.String())
	}
	got := strings.Join(calls, "\n")
	if !strings.HasPrefix(got, "stop drop.service\nreset-failed drop.service\ndaemon-reload\nrestart change.service") ||
		strings.Contains(got, "keep.service") {
		t.Errorf("apply calls:\n%s\n%s", got, e.out.String())
	}
	if !strings.Contains(e.out.String(), "change  change.service (Environment=, conf.yml)") {
		t.Errorf("apply output:\n%s", e.out.String())
	}
	if _, err := os.Stat(filepath.Join(e.layout.StackDir("demo"), "drop.container")); err == nil {
		t.Error("the dropped file is still installed")
	}
	revs, _ := Revisions{Dir: e.layout.StateDir("demo")}.List()
	if len(revs) != 2 || revs[1].Units["drop.service"] != nil {
		t.Fatalf("revisions: %+v", revs)
	}

	// Nothing changed: everything is kept.
	rep, calls, _ = e.install(t, e.src, false, false)
	if rep.Plan.Changes() || strings.Contains(strings.Join(calls, "\n"), "start") {
		t.Errorf("unchanged install: %s %q", rep.Plan, calls)
	}

	// Roll back to revision 1: drop comes back, change restarts; conf.yml,
	// which is not rolled back, is named.
	e.to, _ = Revisions{Dir: e.layout.StateDir("demo")}.Load(1)
	rep, calls, err = e.install(t, Revisions{Dir: e.layout.StateDir("demo")}.Files(1), false, false)
	if err != nil {
		t.Fatal(err, e.out.String())
	}
	if s := rep.Plan.String(); !strings.Contains(s, "add     drop.service") || !strings.Contains(s, "change  change.service (Environment=)") {
		t.Errorf("rollback plan:\n%s", s)
	}
	if strings.Join(rep.Drifted, ",") != "conf.yml" || !strings.Contains(e.out.String(), "note: conf.yml changed since revision 1") {
		t.Errorf("rollback: drifted %v\n%s", rep.Drifted, e.out.String())
	}
	if rep.Revision != 4 {
		t.Errorf("rollback recorded as revision %d", rep.Revision)
	}
}

type netRecorder struct{ removed []string }

func (n *netRecorder) RemoveNetwork(_ context.Context, name string) (bool, error) {
	n.removed = append(n.removed, name)
	return true, nil
}

// A dropped .network unit is stopped before its file goes, then its
// network is removed (another stack cannot hold the same network: install
// refuses that name clash).
func TestDroppedNetworkRemoved(t *testing.T) {
	e := newSdEnv(t)
	if _, _, err := e.install(t, e.src, true, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"app.network", "drop.container"} {
		os.Remove(filepath.Join(e.src, f))
	}
	for _, f := range []string{"keep.container", "change.container"} {
		writeFiles(t, e.src, map[string]string{f: "[Container]\nImage=localhost/web\n"})
	}
	nets := &netRecorder{}
	before := len(e.fake.CallLog())
	_, err := InstallStack(context.Background(), InstallOptions{Install: systemd.InstallOptions{Source: e.src, Stack: "demo",
		Layout: e.layout, Manager: e.fake, Host: systemd.Host{Podman: version.Must("5.4.0"), Generator: "/usr/lib/systemd/system-generators/podman-system-generator"}},
		UnitHost: testHost(), Networks: nets, Out: &e.out})
	if err != nil {
		t.Fatal(err, e.out.String())
	}
	if got := fmt.Sprint(nets.removed); got != "[systemd-app]" {
		t.Errorf("networks removed %s\n%s", got, e.out.String())
	}
	calls := strings.Join(e.fake.CallLog()[before:], "\n")
	if !strings.HasPrefix(calls, "stop drop.service\nstop app-network.service\n") { // the container first
		t.Errorf("calls:\n%s", calls)
	}
	if i, j := strings.Index(calls, "stop app-network.service"), strings.Index(calls, "daemon-reload"); i < 0 || i > j {
		t.Errorf("the network unit was not stopped before its file went:\n%s", calls)
	}
}

func TestUninstallStopsDroppedUnits(t *testing.T) {
	e := newSdEnv(t)
	if _, _, err := e.install(t, e.src, true, false); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(e.src, "drop.container"))
	if _, _, err := e.install(t, e.src, false, false); err != nil {
		t.Fatal(err)
	}
	e.fake.Units["drop.service"].ActiveState = "active" // started again by hand
	if _, err := systemd.Uninstall(context.Background(), systemd.UninstallOptions{Stack: "demo", Layout: e.layout, Manager: e.fake}); err != nil {
		t.Fatal(err)
	}
	if st := e.fake.Units["drop.service"].ActiveState; st != "inactive" {
		t.Errorf("dropped unit left %s by uninstall", st)
	}
	if _, err := os.Stat(e.layout.StateDir("demo")); err == nil {
		t.Error("uninstall left the stack's revisions")
	}
}

func TestRevisionsKeepTheLastN(t *testing.T) {
	e := newSdEnv(t)
	for i := 0; i < 7; i++ {
		writeFiles(t, e.src, map[string]string{"conf.yml": fmt.Sprintf("a: %d\n", i)})
		if _, _, err := e.install(t, e.src, true, false); err != nil {
			t.Fatal(err)
		}
	}
	revs, err := Revisions{Dir: e.layout.StateDir("demo")}.List()
	if err != nil {
		t.Fatal(err)
	}
	var ns []int
	for _, r := range revs {
		ns = append(ns, r.N)
	}
	if fmt.Sprint(ns) != "[3 4 5 6 7]" {
		t.Errorf("revisions kept: %v, want the last 5", ns)
	}
	if revs[4].Summary != "1 to change, 3 unchanged" || revs[4].Units["change.service"].Inputs["conf.yml"] == "" {
		t.Errorf("revision 7: %q %+v", revs[4].Summary, revs[4].Units["change.service"])
	}
	if _, err := os.Stat(filepath.Join(Revisions{Dir: e.layout.StateDir("demo")}.Files(7), "change.container")); err != nil {
		t.Errorf("revision 7 lacks its files: %v", err)
	}
}
