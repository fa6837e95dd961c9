package run

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// projectStack compiles files as the executor does for project.
func projectStack(t *testing.T, project, target string, files map[string]string) *Stack {
	t.Helper()
	var units []*quadlet.Unit
	for name, text := range files {
		f, d := unitfile.Parse("/stack/"+name, []byte(text))
		if d.HasErrors() {
			t.Fatal(d)
		}
		units = append(units, &quadlet.Unit{Name: name, Path: "/stack/" + name, File: f})
	}
	st, diags, err := CompileStack("/stack", project, units, version.Must(target), testHost(), nil)
	if err != nil || diags.HasErrors() {
		t.Fatal(err, diags)
	}
	return st
}

func execLines(u *Unit) string {
	var lines []string
	for _, c := range append(append(u.Svc.ExecStartPre, u.Svc.ExecStart...), u.Svc.ExecStop...) {
		lines = append(lines, strings.Join(c.Argv, " "))
	}
	return strings.Join(lines, "\n")
}

// Names a unit leaves to berth carry the project; explicit ones are kept;
// what the executor creates carries the project's label.
func TestProjectNamesAndLabels(t *testing.T) {
	files := map[string]string{
		"net.network":   "[Network]\n",
		"data.volume":   "[Volume]\n",
		"own.volume":    "[Volume]\nVolumeName=shared-data\n",
		"web.container": "[Container]\nImage=localhost/web\nNetwork=net.network\nVolume=data.volume:/data\nVolume=own.volume:/own\n",
		"db.container":  "[Container]\nImage=localhost/db\nContainerName=the-db\n",
	}
	for _, target := range []string{"4.3.1", "5.8.0"} {
		st := projectStack(t, "shop", target, files)
		for name, want := range map[string]string{"web": "shop-web", "db": "the-db", "net": "shop-net", "data": "shop-data", "own": "shared-data"} {
			if got := st.Unit(name).Resource; got != want {
				t.Errorf("%s: %s is named %q, want %q", target, name, got, want)
			}
		}
		web := execLines(st.Unit("web"))
		for _, want := range []string{"--name shop-web", "--network shop-net", "-v shop-data:/data", "-v shared-data:/own",
			"--label io.berth.project=shop", "rm -v -f -i shop-web", "--network-alias systemd-web"} {
			if !strings.Contains(web, want) {
				t.Errorf("%s: web lacks %q:\n%s", target, want, web)
			}
		}
		for _, name := range []string{"net", "data", "own"} {
			u := st.Unit(name)
			if got := execLines(u); !strings.Contains(got, string(u.Kind)+" create --label io.berth.project=shop") {
				t.Errorf("%s: %s is not labelled:\n%s", target, name, got)
			}
		}
		if db := execLines(st.Unit("db")); strings.Contains(db, "--network-alias") {
			t.Errorf("%s: an explicitly named container off any network got an alias:\n%s", target, db)
		}
		if u := st.Unit("db"); u.NameKey != "ContainerName" || u.NamePos.String() != "/stack/db.container:3" {
			t.Errorf("db's name is set at %s=%s", u.NameKey, u.NamePos)
		}
		if u := st.Unit("web"); u.NameKey != "" {
			t.Errorf("web's name is berth's, not %s=", u.NameKey)
		}
	}
}

// inspectReply answers `podman container inspect` for one container of a
// project ("" for none).
func inspectReply(name, project string) string {
	labels := `{}`
	if project != "" {
		labels = `{"io.berth.project":"` + project + `"}`
	}
	return `[{"Id":"abc","Name":"` + name + `","State":{"Status":"running","Running":true,"ConmonPid":1},"Config":{"Labels":` + labels + `}}]`
}

// A name held by another project's container, or by one berth did not
// create, is refused before anything runs, with the file:line and owner.
func TestCheckNamesRefusesOtherProjects(t *testing.T) {
	st := projectStack(t, "b", "4.3.1", map[string]string{
		"web.container": "[Container]\nImage=localhost/web\nContainerName=web\n",
		"api.container": "[Container]\nImage=localhost/web\n",
		"net.network":   "[Network]\nNetworkName=shared\n",
	})
	for _, tc := range []struct {
		owner string
		want  []string
	}{
		{"a", []string{"/stack/web.container:3: ContainerName=web: container \"web\" belongs to project a",
			"berth down -p a", "nothing of project b was started or changed"}},
		{"", []string{"/stack/web.container:3: ContainerName=web: container \"web\" exists and berth did not create it",
			"podman container rm web"}},
	} {
		stub := &podman.Stub{}
		stub.On("podman container inspect --format json web", 0, inspectReply("web", tc.owner))
		stub.On("podman network inspect", 125, "")
		stub.Replies[len(stub.Replies)-1].Stderr = "Error: network not found"
		p := &Project{Stack: st, Exec: testExecutor(t, stub), Podman: &podman.Client{Runner: stub}}
		plan, _ := PlanUp(st, nil, Observed{})
		err := p.CheckNames(context.Background(), plan)
		var ce *ConflictsError
		if !errors.As(err, &ce) || len(ce.Messages) != 1 {
			t.Fatalf("owner %q: %v", tc.owner, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("owner %q: lacks %q:\n%v", tc.owner, w, err)
			}
		}
		for _, c := range stub.Commands() {
			if strings.Contains(c, " run ") || strings.Contains(c, " rm ") {
				t.Errorf("ran %s", c)
			}
		}
	}
}

// A network or volume berth did not create is used as it is; one of
// another project is refused.
func TestCheckNamesNetworks(t *testing.T) {
	st := projectStack(t, "b", "4.3.1", map[string]string{"net.network": "[Network]\nNetworkName=shared\n"})
	for owner, refused := range map[string]bool{"": false, "b": false, "a": true} {
		stub := &podman.Stub{}
		stub.On("podman network inspect", 0, `{"io.berth.project":"`+owner+`"}`)
		p := &Project{Stack: st, Exec: testExecutor(t, stub), Podman: &podman.Client{Runner: stub}}
		plan, _ := PlanUp(st, nil, Observed{})
		err := p.CheckNames(context.Background(), plan)
		if (err != nil) != refused {
			t.Errorf("network of %q: %v", owner, err)
		}
	}
}

// Stop, and a failed start's log tail, leave another project's container
// alone; Start refuses to replace it.
func TestExecutorLeavesOtherProjectsAlone(t *testing.T) {
	st := projectStack(t, "b", "4.3.1", map[string]string{"web.container": "[Container]\nImage=localhost/web\nContainerName=web\n"})
	u := st.Unit("web")
	stub := &podman.Stub{}
	stub.On("podman container inspect", 0, inspectReply("web", "a"))
	stub.On("podman logs", 0, "a's secrets\n")
	e := testExecutor(t, stub)
	if err := e.Stop(context.Background(), u, 0); err != nil {
		t.Fatal(err)
	}
	var nc *NameConflict
	if _, err := e.Start(context.Background(), u); !errors.As(err, &nc) || nc.Owner != "a" {
		t.Fatalf("start: %v", err)
	}
	if got := e.lastLogs(u, 5); got != "" {
		t.Errorf("another project's logs: %q", got)
	}
	for _, c := range stub.Commands() {
		if !strings.HasPrefix(c, "podman container inspect") {
			t.Errorf("ran %s", c)
		}
	}
}

// A process waiting on the lock while down removes the state directory
// takes the lock on the new lock file, so that it never runs beside the
// next command.
func TestLockSurvivesRemovedStateDir(t *testing.T) {
	s := Store{Dir: filepath.Join(t.TempDir(), "proj")}
	unlock, err := s.Lock()
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func())
	go func() {
		u, err := s.Lock()
		if err != nil {
			t.Error(err)
		}
		got <- u
	}()
	time.Sleep(50 * time.Millisecond)
	if err := os.RemoveAll(s.Dir); err != nil {
		t.Fatal(err)
	}
	unlock()
	second := <-got
	defer second()
	f, err := os.OpenFile(filepath.Join(s.Dir, "lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("the waiter did not lock the new lock file: %v", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatalf("the lock file at the path is free (%v): two commands would run at once", err)
	}
}

// A project's Lock is held across its own Up/Stop calls (restart).
func TestProjectLockReentrant(t *testing.T) {
	p := &Project{Store: Store{Dir: t.TempDir()}}
	unlock, err := p.Lock()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		inner, err := p.Lock()
		if err == nil {
			inner()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("a nested Lock of the same project blocked")
	}
	unlock()
	unlock() // idempotent
	if p.locked {
		t.Fatal("still locked")
	}
}

// install refuses names a `berth up` project holds, at the user's file.
func TestCheckInstallNames(t *testing.T) {
	var units []*quadlet.Unit
	for name, text := range map[string]string{"web.container": "[Container]\nImage=x\nContainerName=web\n", "db.container": "[Container]\nImage=x\n"} {
		f, _ := unitfile.Parse("/staged/files/"+name, []byte(text))
		units = append(units, &quadlet.Unit{Name: name, Path: "/staged/files/" + name, File: f})
	}
	st, _, err := compileStack("/src", "stk", units, version.Must("4.3.1"), testHost(), nil, "")
	if err != nil {
		t.Fatal(err)
	}
	stub := &podman.Stub{}
	stub.On("podman container inspect --format json web", 0, inspectReply("web", "upproj"))
	stub.On("podman container inspect --format json systemd-db", 0, inspectReply("systemd-db", ""))
	err = checkInstallNames(context.Background(), &podman.Client{Runner: stub}, st, "/staged/files", "/src")
	want := "/src/web.container:3: ContainerName=web: container \"web\" belongs to project upproj, which `berth up` runs"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "systemd-db") {
		t.Fatalf("got %v, want %q only", err, want)
	}
}
