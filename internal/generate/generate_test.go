package generate

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

func writeUnits(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// noTempFiles fails if a temporary file was left in dir.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".berth-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

func TestFailingUnitLeavesOthersWritten(t *testing.T) {
	units, out := t.TempDir(), t.TempDir()
	writeUnits(t, units, map[string]string{
		"good.container":   "[Container]\nImage=quay.io/a/good\n[Install]\nWantedBy=default.target\n",
		"bad.container":    "[Container]\nExec=true\n",
		"syntax.container": "[Container]\nImage=quay.io/a/b\nnot valid\n",
		"clash.container":  "[Container]\nImage=quay.io/a/clash\n",
	})
	// Output of an earlier run: bad.service stays as it was (the failing
	// unit removes nothing), good.service is replaced, and a folder where
	// clash.service should go makes only that unit fail.
	writeUnits(t, out, map[string]string{"bad.service": "old bad\n", "good.service": "old good\n", "clash.service/keep": "x"})
	logs, err := runForTest(Config{Dirs: []string{units}, Output: out, Argv0: "berth"})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("Run() = %v, want ErrFailed", err)
	}
	if got := readFile(t, filepath.Join(out, "good.service")); !strings.Contains(got, "quay.io/a/good") {
		t.Errorf("good.service was not rewritten:\n%s", got)
	}
	if got := readFile(t, filepath.Join(out, "bad.service")); got != "old bad\n" {
		t.Errorf("bad.service was touched: %q", got)
	}
	if target, err := os.Readlink(filepath.Join(out, "default.target.wants", "good.service")); err != nil || target != "../good.service" {
		t.Errorf("wants link: %q, %v", target, err)
	}
	for _, want := range []string{
		`converting "bad.container": no Image or Rootfs key specified`,
		`error loading "` + filepath.Join(units, "syntax.container") + `", line 3:`,
		"generating service file " + filepath.Join(out, "clash.service"),
		"processing encountered some errors",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	noTempFiles(t, out)
}

func TestNoUnits(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(empty, "missing")
	out := filepath.Join(t.TempDir(), "out")
	logs, err := runForTest(Config{Dirs: []string{empty, missing}, Output: out})
	if err != nil {
		t.Fatalf("Run() = %v", err)
	}
	if want := "No files parsed from [" + empty + " " + missing + "]"; !strings.Contains(logs, want) {
		t.Errorf("log lacks %q:\n%s", want, logs)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("output folder created without units: %v", err)
	}
}

func TestInstallLinks(t *testing.T) {
	tests := []struct {
		name, unit, install string
		links               []string // "path -> target"
		problems            int
	}{
		{"plain wants", "a.service", "WantedBy=x.target y.target\n",
			[]string{"x.target.wants/a.service -> ../a.service", "y.target.wants/a.service -> ../a.service"}, 0},
		{"requires and upholds", "a.service", "RequiredBy=r.target\nUpheldBy=u.service\n",
			[]string{"r.target.requires/a.service -> ../a.service", "u.service.upholds/a.service -> ../a.service"}, 0},
		{"quoted alias and nested alias", "a.service", "Alias=\"b.service\" sub/c.service\n",
			[]string{"b.service -> a.service", "sub/c.service -> ../a.service"}, 0},
		{"paths are not units", "a.service", "WantedBy=dir/x.target\n", nil, 0},
		{"alias outside the folder", "a.service", "Alias=../b.service /c.service\n", nil, 2},
		{"empty assignment resets", "a.service", "WantedBy=x.target\nWantedBy=\nWantedBy=y.target\n",
			[]string{"y.target.wants/a.service -> ../a.service"}, 0},
		{"template without default instance", "t@.service", "WantedBy=x.target\nAlias=u@.service\n",
			[]string{"u@.service -> t@.service"}, 0},
		{"template with default instance", "t@.service", "WantedBy=x.target\nDefaultInstance=one\n",
			[]string{"x.target.wants/t@one.service -> ../t@.service"}, 0},
		{"instance", "t@two.service", "WantedBy=x.target\n",
			[]string{"x.target.wants/t@two.service -> ../t@two.service"}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, diags := unitfile.Parse("x", []byte("[Install]\n"+tc.install))
			if diags.HasErrors() {
				t.Fatal(diags.Err())
			}
			links, problems := InstallLinks(&quadlet.Service{Name: tc.unit, File: f})
			var got []string
			for _, l := range links {
				got = append(got, l.Path+" -> "+l.Target)
			}
			if !slices.Equal(got, tc.links) {
				t.Errorf("links = %q, want %q", got, tc.links)
			}
			if len(problems) != tc.problems {
				t.Errorf("problems = %q, want %d", problems, tc.problems)
			}
		})
	}
}

func TestLoggerKmsg(t *testing.T) {
	kmsg := filepath.Join(t.TempDir(), "kmsg")
	if err := os.WriteFile(kmsg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	l := &Logger{Stderr: &stderr, Kmsg: kmsg, PID: 7}
	l.Logf("hello %s", "kernel")
	l.Debugf("not shown")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, kmsg); got != "quadlet-generator[7]: hello kernel" {
		t.Errorf("kmsg = %q", got)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing when kmsg works", stderr.String())
	}
	l = &Logger{Stderr: &stderr, Kmsg: filepath.Join(t.TempDir(), "none", "kmsg"), PID: 7, Debug: true}
	l.Debugf("fallback")
	if got := stderr.String(); got != "quadlet-generator[7]: fallback\n" {
		t.Errorf("stderr = %q", got)
	}
}

func TestUnambiguousName(t *testing.T) {
	tests := map[string]bool{
		"nginx": false, "library/nginx": false, "nginx:1.2": false,
		"quay.io/a/b": true, "localhost/x": true, "server:5000/x": true, "docker.io/library/nginx:1": true,
		"sha256:abc": true, strings.Repeat("a", 64): true, strings.Repeat("g", 64): false, strings.Repeat("a", 63): false,
	}
	for name, want := range tests {
		if got := isUnambiguousName(name); got != want {
			t.Errorf("isUnambiguousName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestLintSkipsQuadletImages(t *testing.T) {
	for _, text := range []string{"[Container]\nImage=x.build\n", "[Container]\nImage=x.image\n", "[Container]\nImage=quay.io/x\n"} {
		f, _ := unitfile.Parse("a.container", []byte(text))
		if d := Lint(&quadlet.Unit{Name: "a.container", File: f}); len(d) != 0 {
			t.Errorf("Lint(%q) = %v, want nothing", text, d)
		}
	}
	f, _ := unitfile.Parse("a.kube", []byte("[Kube]\nYaml=x.yml\n"))
	if d := Lint(&quadlet.Unit{Name: "a.kube", File: f}); len(d) != 0 {
		t.Errorf("Lint(kube) = %v", d)
	}
}

func TestMakeLinksLaterWins(t *testing.T) {
	out := t.TempDir()
	writeUnits(t, out, map[string]string{"stale.service": "a file where a link goes"})
	if err := os.Symlink("old.service", filepath.Join(out, "same.service")); err != nil {
		t.Fatal(err)
	}
	links := []Link{
		{Path: "x.target.wants/a.service", Target: "../a.service"},
		{Path: "same.service", Target: "a.service"},
		{Path: "stale.service", Target: "a.service"},
		{Path: "same.service", Target: "b.service"},
		{Path: "blocked/x.service", Target: "../a.service"},
	}
	writeUnits(t, out, map[string]string{"blocked": "a file where a folder goes"})
	dirs, problems := makeLinks(out, links, 4)
	want := map[string]string{"x.target.wants/a.service": "../a.service", "same.service": "b.service", "stale.service": "a.service"}
	for p, target := range want {
		if got, err := os.Readlink(filepath.Join(out, p)); err != nil || got != target {
			t.Errorf("%s -> %q, %v; want %q", p, got, err, target)
		}
	}
	if len(problems) != 1 || !strings.HasPrefix(problems[0], "Can't create dir "+filepath.Join(out, "blocked")) {
		t.Errorf("problems = %q", problems)
	}
	if !slices.Equal(dirs, []string{filepath.Join(out, "x.target.wants"), out}) {
		t.Errorf("dirs = %q", dirs)
	}
	noTempFiles(t, out)
}

func TestLoggerBuffered(t *testing.T) {
	var stderr bytes.Buffer
	l := &Logger{Stderr: &stderr, PID: 1, Buffered: true}
	l.Logf("one")
	l.Logf("two")
	if stderr.Len() != 0 {
		t.Errorf("written before Flush: %q", stderr.String())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := stderr.String(); got != "quadlet-generator[1]: one\nquadlet-generator[1]: two\n" {
		t.Errorf("stderr = %q", got)
	}
}

// A user generator run for podman < 5.3 also writes the network wait unit
// the services want, into the late folder (where the host's own unit of
// that name, should it get one, takes precedence); for 5.3 it does not.
func TestSupportUnitGoesToLateFolder(t *testing.T) {
	units := t.TempDir()
	writeUnits(t, units, map[string]string{"web.container": "[Container]\nImage=quay.io/a/web\n"})
	for _, tc := range []struct {
		target string
		want   bool
	}{{"4.3.1", true}, {"5.3.0", false}} {
		normal, late := t.TempDir(), t.TempDir()
		var stderr bytes.Buffer
		err := Run(Config{Dirs: []string{units}, Output: normal, Late: late, Argv0: "berth-user-generator",
			Log:     &Logger{Stderr: &stderr, PID: 1},
			Options: quadlet.Options{User: true, Target: version.Must(tc.target)}})
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.target, err, stderr.String())
		}
		if !strings.Contains(readFile(t, filepath.Join(normal, "web.service")), "Wants="+quadlet.UserWaitNetworkOnline) {
			t.Errorf("%s: web.service does not want %s", tc.target, quadlet.UserWaitNetworkOnline)
		}
		_, err = os.Stat(filepath.Join(late, quadlet.UserWaitNetworkOnline))
		if (err == nil) != tc.want {
			t.Errorf("%s: support unit in the late folder: %v, want %v", tc.target, err == nil, tc.want)
		}
		if _, err := os.Stat(filepath.Join(normal, quadlet.UserWaitNetworkOnline)); err == nil {
			t.Errorf("%s: support unit written to the normal folder", tc.target)
		}
	}
}

// A durable run (install --user compiling into ~/.config) writes the same
// files as the generator's volatile one, links included.
func TestDurableRunWritesTheSame(t *testing.T) {
	units := t.TempDir()
	writeUnits(t, units, map[string]string{"web.container": "[Container]\nImage=quay.io/a/web\n[Install]\nWantedBy=default.target\n"})
	var trees []string
	for _, durable := range []bool{false, true} {
		out := t.TempDir()
		var stderr bytes.Buffer
		if err := Run(Config{Dirs: []string{units}, Output: out, Durable: durable, Argv0: "berth",
			Log: &Logger{Stderr: &stderr, PID: 1}}); err != nil {
			t.Fatalf("durable=%v: %v\n%s", durable, err, stderr.String())
		}
		trees = append(trees, renderTree(t, out))
		noTempFiles(t, out)
	}
	if trees[0] != trees[1] || !strings.Contains(trees[1], "default.target.wants/web.service") {
		t.Errorf("volatile and durable runs differ:\n%s\n---\n%s", trees[0], trees[1])
	}
}

// linkTarget is filepath.Rel(filepath.Dir(rel), name) without the
// cleaning: the same answer for every kind of link path.
func TestLinkTargetIsRel(t *testing.T) {
	for _, rel := range []string{"x.service", "default.target.wants/x.service", "a/b/c.wants/x.service",
		"./x.service", "a/../b.wants/x.service", "../x.service", "/abs/x.service", "a//b/x.service", "a/./b/x.service"} {
		for _, name := range []string{"web.service", "web@.service", "web@1.service", "a/b.service", ".", ""} {
			want, werr := filepath.Rel(filepath.Dir(rel), name)
			got, gerr := linkTarget(rel, name)
			if got != want || (gerr == nil) != (werr == nil) {
				t.Errorf("linkTarget(%q, %q) = %q, %v; filepath.Rel gives %q, %v", rel, name, got, gerr, want, werr)
			}
		}
	}
}
