package systemd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/version"
)

// writeTree creates files (path -> content) under dir.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var demoStack = map[string]string{
	"app.network": "[Network]\nNetworkName=app-net\n",
	"data.volume": "[Volume]\nVolumeName=app-data\n",
	"db.container": "[Container]\nImage=localhost/db:1\nNetwork=app.network\nVolume=data.volume:/var/lib/db\n" +
		"EnvironmentFile=db.env\n[Install]\nWantedBy=default.target\n",
	"web.container": "[Unit]\nRequires=db.container\nAfter=db.container\n[Container]\nImage=localhost/web:1\n" +
		"Network=app.network\nVolume=./static:/srv:ro\nMount=type=bind,source=./conf,destination=/etc/web\n",
	"web.container.d/10-env.conf": "[Container]\nEnvironmentFile=./extra.env\n",
	"db.env":                      "A=1\n",
	"notes.txt":                   "not a quadlet\n",
}

type env struct {
	src    string
	layout Layout
	fake   *Fake
	berth  string
}

func newEnv(t *testing.T, scope Scope) *env {
	root := t.TempDir()
	src := filepath.Join(root, "src", "demo")
	writeTree(t, src, demoStack)
	l := Layout{Scope: scope, Root: filepath.Join(root, "sysroot"), ConfigHome: filepath.Join(root, "home", ".config"),
		UID: 1000, UserName: "alice"}
	berth := filepath.Join(root, "bin", "berth")
	writeTree(t, filepath.Dir(berth), map[string]string{"berth": "#!/bin/true\n"})
	f := NewFake("app-network.service", "data-volume.service", "db.service", "web.service")
	return &env{src: src, layout: l, fake: f, berth: berth}
}

func (e *env) install(t *testing.T, h Host, now bool) (*InstallResult, error) {
	t.Helper()
	return Install(context.Background(), InstallOptions{Source: e.src, Layout: e.layout, Manager: e.fake,
		Host: h, Berth: e.berth, Now: now})
}

func TestInstallCopiesRewritesAndLinksGenerator(t *testing.T) {
	e := newEnv(t, System)
	res, err := e.install(t, Host{Podman: version.Must("4.3.1")}, true)
	if err != nil {
		t.Fatal(err)
	}
	dir := e.layout.StackDir("demo")
	if want := filepath.Join(e.layout.Root, "etc/containers/systemd/demo"); dir != want {
		t.Fatalf("stack dir %s, want %s", dir, want)
	}
	for _, f := range []string{"app.network", "data.volume", "db.container", "web.container", "web.container.d/10-env.conf", ManifestName} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	for _, f := range []string{"db.env", "notes.txt"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s was copied; env files stay where they are", f)
		}
	}
	web, _ := os.ReadFile(filepath.Join(dir, "web.container"))
	for _, want := range []string{"Volume=" + e.src + "/static:/srv:ro", "source=" + e.src + "/conf,", "# Installed by berth from"} {
		if !strings.Contains(string(web), want) {
			t.Errorf("web.container lacks %q:\n%s", want, web)
		}
	}
	db, _ := os.ReadFile(filepath.Join(dir, "db.container"))
	if !strings.Contains(string(db), "EnvironmentFile="+e.src+"/db.env") || !strings.Contains(string(db), "Volume=data.volume:/var/lib/db") {
		t.Errorf("db.container not rewritten right:\n%s", db)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "web.container.d/10-env.conf"))
	if !strings.Contains(string(conf), "EnvironmentFile="+e.src+"/extra.env") {
		t.Errorf("drop-in not rewritten:\n%s", conf)
	}
	if len(res.Notes) != 4 {
		t.Errorf("notes %q, want 4 rewrites", res.Notes)
	}
	link := filepath.Join(e.layout.Root, "etc/systemd/system-generators/berth-system-generator")
	if got, _ := os.Readlink(link); got != e.berth {
		t.Errorf("generator link -> %q, want %q", got, e.berth)
	}
	if !res.Plan.UseBerth || res.Plan.MaskPodman {
		t.Errorf("plan %+v", res.Plan)
	}
	want := []string{"daemon-reload", "start app-network.service", "start data-volume.service", "start db.service", "start web.service"}
	if got := e.fake.CallLog(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("calls %q, want %q", got, want)
	}
	m, err := ReadManifest(e.layout.ManifestPath("demo"))
	if err != nil || m.Scope != System || len(m.Files) != 5 || len(m.Generator) != 1 || m.Podman != "4.3.1" {
		t.Errorf("manifest %+v, %v", m, err)
	}
}

func TestInstallUserScopePaths(t *testing.T) {
	e := newEnv(t, User)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		filepath.Join(e.layout.ConfigHome, "containers/systemd/demo/db.container"),
		// systemd's user managers run generators only from system folders.
		filepath.Join(e.layout.Root, "etc/systemd/user-generators/berth-user-generator"),
	} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(e.layout.Root, "etc/containers")); err == nil {
		t.Error("a --user install wrote quadlet files under /etc")
	}
	if got := e.fake.CallLog(); len(got) != 1 || got[0] != "daemon-reload" {
		t.Errorf("without --now only daemon-reload, got %q", got)
	}
}

func TestInstallWithErrorsWritesNothing(t *testing.T) {
	e := newEnv(t, System)
	writeTree(t, e.src, map[string]string{"bad.container": "[Container]\nImage=x\nImagee=y\n"})
	_, err := e.install(t, Host{Podman: version.Must("5.4.0"), Generator: "/usr/lib/x"}, true)
	var le diag.ListError
	if !errors.As(err, &le) {
		t.Fatalf("want diag.ListError, got %v", err)
	}
	if !strings.Contains(err.Error(), "bad.container:3") || !strings.Contains(err.Error(), "Imagee") {
		t.Errorf("error does not name file:line:key: %v", err)
	}
	if _, err := os.Stat(e.layout.StacksDir()); err == nil {
		t.Error("something was installed despite errors")
	}
	if len(e.fake.CallLog()) != 0 {
		t.Errorf("systemd was called: %q", e.fake.CallLog())
	}
}

func TestInstallHostGenerator(t *testing.T) {
	e := newEnv(t, System)
	gen := filepath.Join(e.layout.Root, "usr/lib/systemd/system-generators/podman-system-generator")
	writeTree(t, filepath.Dir(gen), map[string]string{"podman-system-generator": ""})
	h := Host{Podman: version.Must("5.4.0"), Generator: gen}
	res, err := e.install(t, h, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Plan.UseBerth || len(res.Manifest.Generator) != 0 {
		t.Errorf("podman 5.4 has a generator; berth should not install its own: %+v", res.Plan)
	}
	if _, err := os.Lstat(e.layout.BerthGeneratorLink()); err == nil {
		t.Error("generator link made")
	}

	// podman 4.4.s generator does not know NetworkName (4.7): berth takes over
	// and masks podman's.
	writeTree(t, e.src, map[string]string{"db.container.d/h.conf": "[Container]\nHealthCmd=true\n"})
	h.Podman = version.Must("4.4.0")
	res, err = e.install(t, h, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Plan.UseBerth || !res.Plan.MaskPodman || !strings.Contains(res.Plan.Why, "NetworkName=app-net (app.network:2)") {
		t.Errorf("plan %+v", res.Plan)
	}
	if got, _ := os.Readlink(e.layout.PodmanGeneratorMask()); got != "/dev/null" {
		t.Errorf("podman's generator not masked: %q", got)
	}
}

func TestInstallRefusesForeignGeneratorFile(t *testing.T) {
	e := newEnv(t, System)
	writeTree(t, e.layout.GeneratorDir(), map[string]string{"berth-system-generator": "someone else's"})
	_, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false)
	if err == nil || !strings.Contains(err.Error(), "not made by berth") {
		t.Fatalf("want refusal, got %v", err)
	}
}

func TestReinstallRemovesStaleFiles(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(e.src, "web.container.d"))
	os.Remove(filepath.Join(e.src, "web.container"))
	res, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Removed) != 2 {
		t.Errorf("removed %q, want web.container and its drop-in", res.Removed)
	}
	if _, err := os.Stat(filepath.Join(e.layout.StackDir("demo"), "web.container.d")); err == nil {
		t.Error("empty drop-in folder left behind")
	}
}

func TestInstallConflictWithOtherStack(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(filepath.Dir(e.src), "other")
	writeTree(t, other, map[string]string{"db.container": "[Container]\nImage=x\n"})
	_, err := Install(context.Background(), InstallOptions{Source: other, Layout: e.layout, Manager: e.fake,
		Host: Host{Podman: version.Must("4.3.1")}, Berth: e.berth})
	if err == nil || !strings.Contains(err.Error(), "already installed by stack demo") {
		t.Fatalf("want conflict, got %v", err)
	}
}

func TestStartFailureReportsUnitResultJournal(t *testing.T) {
	e := newEnv(t, System)
	e.fake.FailStart["db.service"] = "exit-code"
	e.fake.Logs["db.service"] = []string{"2024-01-01T00:00:00+0000 host db[1]: FATAL: bad config"}
	_, err := e.install(t, Host{Podman: version.Must("4.3.1")}, true)
	var se *StartError
	if !errors.As(err, &se) {
		t.Fatalf("want StartError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"db.service did not start", "result exit-code", "FATAL: bad config", "journalctl -u db.service"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, c := range e.fake.CallLog() {
		if c == "start web.service" {
			t.Error("web.service started after its dependency failed")
		}
	}
}

// The user network wait unit berth supplies for podman < 5.3 goes into the
// user's unit folder once, unless the host has one; it is shared by stacks.
func TestInstallSupportUnit(t *testing.T) {
	e := newEnv(t, User)
	o := InstallOptions{Layout: e.layout, Host: Host{Podman: version.Must("4.3.1")}}
	dst := filepath.Join(e.layout.UserUnitDir(), "podman-user-wait-network-online.service")
	stage := t.TempDir()
	src := filepath.Join(stage, filepath.Base(dst))
	put := func(text string) {
		t.Helper()
		writeTree(t, stage, map[string]string{filepath.Base(dst): text})
		if err := installSupport(o, src, dst); err != nil {
			t.Fatal(err)
		}
	}
	put("first\n")
	if got, _ := os.ReadFile(dst); string(got) != "first\n" {
		t.Fatalf("support unit = %q", got)
	}
	put("second\n") // another stack: the unit there stays
	if got, _ := os.ReadFile(dst); string(got) != "first\n" {
		t.Errorf("support unit replaced: %q", got)
	}
	// A host whose podman ships the unit gets no copy.
	_ = os.Remove(dst)
	writeTree(t, e.layout.Root, map[string]string{"usr/lib/systemd/user/" + filepath.Base(dst): "host\n"})
	put("third\n")
	if _, err := os.Stat(dst); err == nil {
		t.Error("support unit written although the host has one")
	}
}

// Podman's names are global too: a second stack naming a container,
// network or volume like an installed stack's is refused before anything
// is written, at the file:line that sets the name.
func TestInstallConflictOnPodmanNames(t *testing.T) {
	e := newEnv(t, System)
	if _, err := e.install(t, Host{Podman: version.Must("4.3.1")}, false); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(filepath.Dir(e.src), "other")
	writeTree(t, other, map[string]string{
		"net.network":   "[Network]\nNetworkName=app-net\n",
		"db2.container": "[Container]\nImage=x\nContainerName=systemd-db\n",
	})
	_, err := Install(context.Background(), InstallOptions{Source: other, Layout: e.layout, Manager: e.fake,
		Host: Host{Podman: version.Must("4.3.1")}, Berth: e.berth})
	if err == nil {
		t.Fatal("installed")
	}
	for _, want := range []string{
		filepath.Join(other, "net.network") + `:2: NetworkName=app-net: network "app-net" is already used by stack demo (app.network)`,
		filepath.Join(other, "db2.container") + `:3: ContainerName=systemd-db: container "systemd-db" is already used by stack demo (db.container)`,
		"nothing was installed",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lacks %q:\n%v", want, err)
		}
	}
	if _, err := os.Stat(e.layout.StackDir("other")); err == nil {
		t.Error("the refused stack was written")
	}
}
