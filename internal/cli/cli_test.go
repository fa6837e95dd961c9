package cli

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// testApp returns an app with the given environment and captured output.
func testApp(argv0 string, env map[string]string) (*app, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	a := &app{
		argv0:  argv0,
		stdout: &stdout,
		stderr: &stderr,
		env: quadlet.Env{
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			Home:      "/nonexistent-home", UID: 4242,
		},
	}
	return a, &stdout, &stderr
}

func TestPrepareArgs(t *testing.T) {
	tests := []struct {
		argv0 string
		args  []string
		want  []string
	}{
		{"berth", []string{"generate", "-user", "-dryrun", "-v", "-no-kmsg-log", "/out"},
			[]string{"generate", "--user", "--dryrun", "-v", "--no-kmsg-log", "/out"}},
		{"berth", []string{"generate", "-version", "-user=true", "--v"}, []string{"generate", "--version", "--user=true", "-v"}},
		{"berth", []string{"-C", "dir", "--podman-version", "4.9", "generate", "-dryrun"},
			[]string{"-C", "dir", "--podman-version", "4.9", "generate", "--dryrun"}},
		{"berth", []string{"compile", "-user"}, []string{"compile", "-user"}},
		{"berth", []string{"generate", "--", "-user"}, []string{"generate", "--", "-user"}},
		{"/usr/lib/systemd/system-generators/berth-system-generator", []string{"/run/a", "/run/b", "/run/c"},
			[]string{"generate", "/run/a", "/run/b", "/run/c"}},
		{"berth-user-generator", []string{"-dryrun"}, []string{"generate", "--dryrun"}},
		{"berth", nil, nil},
	}
	for _, tc := range tests {
		if got := prepareArgs(tc.argv0, tc.args); !slices.Equal(got, tc.want) {
			t.Errorf("prepareArgs(%q, %q) = %q, want %q", tc.argv0, tc.args, got, tc.want)
		}
	}
}

// TestCompileGolden runs `berth compile` on copies of testdata/compile/<case>
// (with the arguments in its "args" file) and compares exit code, stdout,
// stderr and any output folder with expected.txt.
func TestCompileGolden(t *testing.T) {
	eachCase(t, "compile", func(t *testing.T, src, dir string) {
		var args []string
		if data, err := os.ReadFile(filepath.Join(src, "args")); err == nil {
			args = strings.Fields(string(data))
		}
		a, stdout, stderr := testApp("berth", nil)
		code := a.run(append([]string{"-C", dir, "compile"}, args...))
		var b strings.Builder
		b.WriteString("$ berth compile " + strings.Join(args, " ") + "\n")
		b.WriteString("=== exit " + string(rune('0'+code)) + "\n=== stdout\n" + stdout.String())
		b.WriteString("=== stderr\n" + stderr.String())
		if out := filepath.Join(dir, "out"); exists(out) {
			b.WriteString("=== out/\n" + renderTree(t, out))
		}
		got := strings.ReplaceAll(b.String(), dir, "$DIR")
		golden.Check(t, filepath.Join(src, "expected.txt"), got)
	})
}

// eachCase runs test, as a subtest, on a copy (dir) of every case folder
// testdata/<name>/<case> (src).
func eachCase(t *testing.T, name string, test func(t *testing.T, src, dir string)) {
	root := filepath.Join("testdata", name)
	cases, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			src := filepath.Join(root, c.Name())
			test(t, src, copyCase(t, src))
		})
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// copyCase copies a case folder (without args and expected.txt) into a
// temporary folder.
func copyCase(t *testing.T, src string) string {
	t.Helper()
	dst, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "args" || e.Name() == "expected.txt" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func renderTree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			b.WriteString("--- " + rel + " -> " + target + "\n")
		case d.Type().IsRegular():
			data, _ := os.ReadFile(p)
			b.WriteString("--- " + rel + "\n" + string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestGenerateAsUserGenerator(t *testing.T) {
	units := t.TempDir()
	if err := os.WriteFile(filepath.Join(units, "a.container"), []byte("[Container]\nImage=quay.io/a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "normal")
	a, stdout, stderr := testApp("/usr/lib/systemd/user-generators/berth-user-generator",
		map[string]string{"QUADLET_UNIT_DIRS": units})
	a.kmsg = "" // never the real kernel log in tests
	if code := a.run([]string{out, filepath.Join(out, "early"), filepath.Join(out, "late")}); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "a.service"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	if !strings.HasPrefix(text, "# Automatically generated by /usr/lib/systemd/user-generators/berth-user-generator\n") {
		t.Errorf("header missing:\n%s", text)
	}
	if !strings.Contains(text, "After=podman-user-wait-network-online.service") {
		t.Errorf("not generated in user mode:\n%s", text)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q", stdout)
	}
}

func TestGenerateDryRunPodmanFlags(t *testing.T) {
	units := t.TempDir()
	if err := os.WriteFile(filepath.Join(units, "a.volume"), []byte("[Volume]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, stdout, stderr := testApp("berth", map[string]string{"QUADLET_UNIT_DIRS": units, "PODMAN": "/opt/podman"})
	if code := a.run([]string{"generate", "-dryrun", "-user"}); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"---a-volume.service---\n", "ExecStart=/opt/podman volume create", "podman-user-wait-network-online"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr.String(), "Loading source unit file "+filepath.Join(units, "a.volume")) {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestGenerateErrors(t *testing.T) {
	a, _, stderr := testApp("berth", nil)
	a.kmsg = ""
	if code := a.run([]string{"generate"}); code != exitFailed {
		t.Errorf("missing folder: exit %d, want %d", code, exitFailed)
	}
	if !strings.Contains(stderr.String(), "missing output directory argument") {
		t.Errorf("stderr = %q", stderr)
	}
	a, _, stderr = testApp("berth", nil)
	if code := a.run([]string{"generate", "a", "b", "c", "d"}); code != exitUsage {
		t.Errorf("4 folders: exit %d, want %d; stderr %q", code, exitUsage, stderr)
	}
}

func TestVersions(t *testing.T) {
	a, stdout, _ := testApp("berth", nil)
	if code := a.run([]string{"generate", "-version"}); code != 0 || stdout.String() != version.Latest.String()+"\n" {
		t.Errorf("generate -version: exit %d, %q", code, stdout)
	}
	a, stdout, _ = testApp("berth", map[string]string{"BERTH_PODMAN_VERSION": "4.9.3"})
	if code := a.run([]string{"version"}); code != 0 || !strings.Contains(stdout.String(), "podman target: 4.9.3") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
	a, _, stderr := testApp("berth", nil)
	if code := a.run([]string{"--podman-version", "five", "version"}); code != exitUsage {
		t.Errorf("bad version: exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stderr.String(), `invalid podman version "five"`) {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"compile", "--no-such-flag"}, {"version", "extra"}} {
		a, _, stderr := testApp("berth", nil)
		if code := a.run(args); code != exitUsage {
			t.Errorf("%q: exit %d, want %d; stderr %q", args, code, exitUsage, stderr)
		}
		if !strings.Contains(stderr.String(), "--help' for usage") {
			t.Errorf("%q: stderr lacks the help hint: %q", args, stderr)
		}
	}
}

func TestCompileEmptyFolder(t *testing.T) {
	dir := t.TempDir()
	a, stdout, stderr := testApp("berth", nil)
	if code := a.run([]string{"-C", dir, "compile"}); code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), ".: warning: no quadlet files found") {
		t.Errorf("stdout %q, stderr %q", stdout, stderr)
	}
}
