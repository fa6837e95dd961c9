package systemd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/version"
)

func TestUninstallRemovesExactlyWhatWasInstalled(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, true); err != nil {
		t.Fatal(err)
	}
	// A second stack relies on the same generator link.
	other := filepath.Join(filepath.Dir(e.src), "other")
	writeTree(t, other, map[string]string{"o.container": "[Container]\nImage=x\n"})
	e.fake.Add("o.service")
	if _, err := Install(context.Background(), InstallOptions{Source: other, Layout: e.layout, Manager: e.fake,
		Host: Host{Podman: version.Must("4.3.1")}, Berth: e.berth}); err != nil {
		t.Fatal(err)
	}
	// A file berth did not install stays, and so does its folder.
	writeTree(t, e.layout.StackDir("demo"), map[string]string{"mine.txt": "user's"})
	e.fake.Calls = nil

	r, err := Uninstall(context.Background(), UninstallOptions{Stack: "demo", Layout: e.layout, Manager: e.fake})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"stop web.service", "stop db.service", "stop data-volume.service", "stop app-network.service",
		"reset-failed app-network.service data-volume.service db.service web.service", "daemon-reload"}
	if got := e.fake.CallLog(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls %q\nwant %q", got, want)
	}
	if len(r.Kept) != 1 || !strings.HasSuffix(r.Kept[0], "berth-system-generator") {
		t.Errorf("kept %q: the generator link is still needed by stack other", r.Kept)
	}
	left := listTree(t, e.layout.StackDir("demo"))
	if !reflect.DeepEqual(left, []string{"mine.txt"}) {
		t.Errorf("left behind %q, want only mine.txt", left)
	}
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Error(), "did not install") {
		t.Errorf("errors %v", r.Errors)
	}

	// The last stack takes the link with it.
	r, err = Uninstall(context.Background(), UninstallOptions{Stack: "other", Layout: e.layout, Manager: e.fake})
	if err != nil || len(r.Errors) != 0 {
		t.Fatal(err, r.Errors)
	}
	if _, err := os.Lstat(e.layout.BerthGeneratorLink()); err == nil {
		t.Error("generator link survived the last stack")
	}
	if _, err := os.Stat(e.layout.StackDir("other")); err == nil {
		t.Error("stack folder survived")
	}
}

func TestUninstallUnknownStack(t *testing.T) {
	e := newEnv(t, User)
	_, err := Uninstall(context.Background(), UninstallOptions{Stack: "nope", Layout: e.layout, Manager: e.fake})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "berth list") {
		t.Fatalf("got %v", err)
	}
}

func listTree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

func TestListAndInstalled(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, true); err != nil {
		t.Fatal(err)
	}
	stacks, errs := List(context.Background(), e.layout, e.fake)
	if len(errs) != 0 || len(stacks) != 1 {
		t.Fatal(stacks, errs)
	}
	s := stacks[0]
	if s.Stack != "demo" || len(s.Units) != 4 {
		t.Fatalf("%+v", s)
	}
	u := s.Units[2]
	if u.Service != "db.service" || u.Type != "container" || u.ActiveState != "active" || u.SubState != "running" ||
		u.Source != filepath.Join(e.layout.StackDir("demo"), "db.container") {
		t.Errorf("%+v", u)
	}
	ok, m, err := InstalledIn(e.layout, "demo")
	if !ok || err != nil || m.Stack != "demo" {
		t.Errorf("InstalledIn: %v %v %v", ok, m, err)
	}
	if ok, _, _ := InstalledIn(e.layout, "other"); ok {
		t.Error("other is not installed")
	}

	st := &Stack{Manifest: m, Manager: e.fake}
	if got, err := st.Select("db", "web.container"); err != nil || !reflect.DeepEqual(got, []string{"db.service", "web.service"}) {
		t.Errorf("Select: %q %v", got, err)
	}
	if _, err := st.Select("nope"); err == nil || !strings.Contains(err.Error(), "has no service") {
		t.Errorf("Select(nope): %v", err)
	}
}

// recRunner records command lines and answers with canned output.
type recRunner struct {
	argvs [][]string
	out   string
	err   error
}

func (r *recRunner) Run(_ context.Context, argv []string, stdout io.Writer) error {
	r.argvs = append(r.argvs, argv)
	if stdout != nil {
		io.WriteString(stdout, r.out)
	}
	return r.err
}

func TestSystemctlCommandLines(t *testing.T) {
	r := &recRunner{}
	s := &Systemctl{Scope: User, Runner: r}
	ctx := context.Background()
	s.Start(ctx, "a.service", "b.service")
	s.DaemonReload(ctx)
	s.Journal(ctx, JournalOptions{Units: []string{"a.service", "b.service"}, Follow: true, Lines: 20}, io.Discard)
	want := [][]string{
		{"systemctl", "--user", "start", "--no-ask-password", "--", "a.service", "b.service"},
		{"systemctl", "--user", "daemon-reload", "--no-ask-password"},
		{"journalctl", "--user", "--no-pager", "-o", "short-iso", "-u", "a.service", "-u", "b.service", "-f", "-n", "20"},
	}
	if !reflect.DeepEqual(r.argvs, want) {
		t.Errorf("got %q\nwant %q", r.argvs, want)
	}
	sys := &Systemctl{Scope: System, Runner: r}
	if got := sys.JournalArgv(JournalOptions{Units: []string{"x"}}); got[1] == "--user" {
		t.Errorf("system journal with --user: %q", got)
	}
}

func TestSystemctlStatusParses(t *testing.T) {
	r := &recRunner{out: "Id=a.service\nLoadState=loaded\nActiveState=failed\nSubState=failed\nResult=exit-code\nExecMainCode=1\nExecMainStatus=3\nMainPID=0\n\n" +
		"Id=b.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n"}
	s := &Systemctl{Scope: System, Runner: r}
	sts, err := s.Status(context.Background(), "a.service", "b.service")
	if err != nil {
		t.Fatal(err)
	}
	if !sts[0].Failed() || sts[0].Result != "exit-code" || sts[0].ExecMainStatus != 3 || sts[1].LoadState != "not-found" {
		t.Errorf("%+v", sts)
	}
	if !strings.Contains(strings.Join(r.argvs[0], " "), "show --no-pager --property=Id,") {
		t.Errorf("argv %q", r.argvs[0])
	}
	r.err = &CmdError{Argv: []string{"systemctl", "show"}, Code: 1, Stderr: "Failed to connect to bus"}
	if _, err := s.Status(context.Background(), "a.service"); err == nil || !strings.Contains(err.Error(), "exit status 1: Failed to connect") {
		t.Errorf("error %v", err)
	}
}

func TestParseListUnits(t *testing.T) {
	got := ParseListUnits("db.service loaded active running Colosseum PostgreSQL\n● web.service loaded failed failed Web\n\n")
	if len(got) != 2 || got[0].Description != "Colosseum PostgreSQL" || got[1].Name != "web.service" || got[1].ActiveState != "failed" {
		t.Errorf("%+v", got)
	}
}

func TestExecRunnerError(t *testing.T) {
	err := ExecRunner{}.Run(context.Background(), []string{"sh", "-c", "echo oops >&2; exit 3"}, nil)
	var ce *CmdError
	if !errors.As(err, &ce) || ce.Code != 3 || strings.TrimSpace(ce.Stderr) != "oops" {
		t.Fatalf("got %#v", err)
	}
	var out bytes.Buffer
	if err := (ExecRunner{}).Run(context.Background(), []string{"echo", "hi"}, &out); err != nil || out.String() != "hi\n" {
		t.Fatal(err, out.String())
	}
	err = ExecRunner{}.Run(context.Background(), []string{"/nonexistent/berth-test"}, nil)
	if !errors.As(err, &ce) || ce.Code != -1 || ce.Err == nil {
		t.Fatalf("got %#v", err)
	}
}

func TestCheckWarnings(t *testing.T) {
	root := t.TempDir()
	l := Layout{Scope: User, Root: root, ConfigHome: filepath.Join(root, "cfg"), UID: 1000, UserName: "alice"}
	noEnv := func(string) (string, bool) { return "", false }
	ws := Check(l, CheckEnv{LookupEnv: noEnv, NetworkOnline: true})
	codes := map[string]string{}
	for _, w := range ws {
		codes[w.Code] = w.Fix
	}
	if codes["no-linger"] != "loginctl enable-linger alice" || !strings.Contains(codes["no-xdg-runtime-dir"], "/run/user/1000") ||
		!strings.Contains(codes["no-network-online"], "systemd-networkd-wait-online") {
		t.Errorf("%+v", ws)
	}
	writeTree(t, root, map[string]string{
		"var/lib/systemd/linger/alice": "",
		"etc/systemd/system/network-online.target.wants/systemd-networkd-wait-online.service": "",
		"run/user/1000/systemd/private": "",
	})
	withEnv := func(k string) (string, bool) {
		if k == "XDG_RUNTIME_DIR" {
			return "/run/user/1000", true
		}
		return "", false
	}
	if ws := Check(l, CheckEnv{LookupEnv: withEnv, NetworkOnline: true}); len(ws) != 0 {
		t.Errorf("want no warnings, got %+v", ws)
	}
	os.Remove(filepath.Join(root, "run/user/1000/systemd/private"))
	if ws := Check(l, CheckEnv{LookupEnv: withEnv}); len(ws) != 1 || ws[0].Code != "no-user-bus" {
		t.Errorf("want no-user-bus, got %+v", ws)
	}
}

func TestRewriteBuildAndKube(t *testing.T) {
	src := "/stacks/s"
	data := "[Build]\nImageTag=x\nFile=../agent/Containerfile\nSetWorkingDirectory=../agent\n"
	out, notes, ds := rewritePaths(src+"/a.build", []byte(data), "Build", src)
	if len(ds) != 0 || len(notes) != 2 || !strings.Contains(string(out), "File=/stacks/agent/Containerfile\nSetWorkingDirectory=/stacks/agent\n") {
		t.Errorf("%s %q %v", out, notes, ds)
	}
	out, _, _ = rewritePaths(src+"/b.build", []byte("[Build]\nImageTag=x\nSetWorkingDirectory=unit\nFile=https://x/y\n"), "Build", src)
	if !strings.Contains(string(out), "SetWorkingDirectory=/stacks/s\nFile=https://x/y") {
		t.Errorf("%s", out)
	}
	out, _, ds = rewritePaths(src+"/k.kube", []byte("[Kube]\nYaml=k.yaml\nSetWorkingDirectory=unit\n"), "Kube", src)
	if !strings.Contains(string(out), "Yaml=/stacks/s/k.yaml") || len(ds) != 1 {
		t.Errorf("%s %v", out, ds)
	}
	in := "[Container]\nImage=x\nVolume=named:/d\nVolume=/abs:/e\nEnvironmentFile=%h/env\n"
	if out, notes, _ := rewritePaths(src+"/c.container", []byte(in), "Container", src); string(out) != in || notes != nil {
		t.Errorf("nothing to rewrite, got %s", out)
	}
	_, _, ds = rewritePaths(src+"/q.container", []byte("[Container]\nVolume=\"./a b:/x\"\n"), "Container", src)
	if len(ds) != 1 || !strings.Contains(ds[0].String(), "q.container:2") {
		t.Errorf("quoted relative path: %v", ds)
	}
}

func TestNeededAndPlan(t *testing.T) {
	h := Host{Podman: version.Must("5.0.0"), Generator: "/usr/lib/systemd/system-generators/podman-system-generator"}
	if p := PlanGenerator(h, nil); p.UseBerth {
		t.Errorf("%+v", p)
	}
	if p := PlanGenerator(Host{}, nil); !p.UseBerth || !strings.Contains(p.Why, "no quadlet generator") {
		t.Errorf("%+v", p)
	}
}

func TestUninstallRemovesNetworksKeepsVolumes(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, true); err != nil {
		t.Fatal(err)
	}
	m, _ := ReadManifest(e.layout.ManifestPath("demo"))
	res := map[string]string{}
	for _, u := range m.Units {
		res[u.Source] = u.Resource
	}
	if res["app.network"] != "app-net" || res["data.volume"] != "app-data" {
		t.Errorf("manifest resources %v", res)
	}
	r := &fakeNetworks{removed: true}
	u, err := Uninstall(context.Background(), UninstallOptions{Stack: "demo", Layout: e.layout, Manager: e.fake, Networks: r})
	if err != nil || len(u.Errors) != 0 {
		t.Fatal(err, u.Errors)
	}
	if want := []string{"app-net"}; !reflect.DeepEqual(r.asked, want) {
		t.Errorf("networks asked to remove %q, want %q (volumes are kept)", r.asked, want)
	}
	if !reflect.DeepEqual(u.Networks, []string{"app-net"}) {
		t.Errorf("networks removed %q", u.Networks)
	}

	// A network already gone is fine; one still in use is kept and said so.
	for _, c := range []struct {
		err  error
		kept bool
	}{
		{nil, false}, // not found: removed=false, no error
		{errors.New(`"app-net" has associated containers with it: network is being used`), true},
	} {
		if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
			t.Fatal(err)
		}
		r := &fakeNetworks{err: c.err}
		u, err := Uninstall(context.Background(), UninstallOptions{Stack: "demo", Layout: e.layout, Manager: e.fake, Networks: r})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(u.Errors) == 1 && strings.Contains(u.Errors[0].Error(), "network app-net of app.network was kept"); got != c.kept || len(u.Networks) != 0 {
			t.Errorf("%v: errors %v, removed %q", c.err, u.Errors, u.Networks)
		}
	}
}

// fakeNetworks records the networks Uninstall asks to remove.
type fakeNetworks struct {
	asked   []string
	removed bool
	err     error
}

func (f *fakeNetworks) RemoveNetwork(_ context.Context, name string) (bool, error) {
	f.asked = append(f.asked, name)
	return f.removed && f.err == nil, f.err
}

// labelledNetworks are networks `berth up` project "up1" created.
type labelledNetworks struct{ fakeNetworks }

func (l *labelledNetworks) Labels(context.Context, string, string) (map[string]string, bool, error) {
	return map[string]string{"io.berth.project": "up1"}, true, nil
}

// uninstall never removes a network a `berth up` project created.
func TestUninstallKeepsUpProjectsNetwork(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
		t.Fatal(err)
	}
	r := &labelledNetworks{fakeNetworks{removed: true}}
	u, err := Uninstall(context.Background(), UninstallOptions{Stack: "demo", Layout: e.layout, Manager: e.fake, Networks: r})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.asked) != 0 || len(u.Errors) != 1 || !strings.Contains(u.Errors[0].Error(), "belongs to project up1") {
		t.Errorf("asked to remove %q; errors %v", r.asked, u.Errors)
	}
}
