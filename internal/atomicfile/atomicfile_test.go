package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteReplacesWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "a.service")
	for _, content := range []string{"one\n", "two\n"} {
		if err := Write(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	st, _ := os.Stat(p)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	assertNoTemps(t, filepath.Dir(p))
}

func TestWriteFailureLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a")
	if err := Write(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A folder in the way of the rename makes the write fail after the
	// temporary file was written.
	blocked := filepath.Join(dir, "b")
	if err := os.MkdirAll(filepath.Join(blocked, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(blocked, []byte("new"), 0o644); err == nil || !strings.Contains(err.Error(), blocked) {
		t.Fatalf("err = %v, want one naming %s", err, blocked)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Errorf("a = %q", got)
	}
	assertNoTemps(t, dir)
}

func TestWriteAll(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "c.service"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := []File{{"a.service", []byte("A"), 0o644}, {"b.service", []byte("B"), 0o600}, {"c.service", []byte("C"), 0o644}}
	errs := WriteAll(dir, files, 4)
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errs = %v (want only c to fail: a folder is in its way)", errs)
	}
	for _, f := range files[:2] {
		got, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s = %q, %v", f.Name, got, err)
		}
	}
	assertNoTemps(t, dir)
}

func TestSymlink(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "default.target.wants", "a.service")
	for _, target := range []string{"../a.service", "../b.service"} {
		if err := Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.Readlink(p); got != target {
			t.Errorf("link = %q, want %q", got, target)
		}
	}
	assertNoTemps(t, filepath.Dir(p))
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if IsTemp(e.Name()) {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}
