package atomicfile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
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
	files := []File{{Name: "a.service", Data: []byte("A"), Perm: 0o644}, {Name: "b.service", Data: []byte("B"), Perm: 0o600}, {Name: "c.service", Data: []byte("C"), Perm: 0o644}}
	errs := WriteAll(dir, files, Batch{Workers: 4})
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errs = %v (want only c to fail: a folder is in its way)", errs)
	}
	checkFiles(t, dir, files[:2])
	assertNoTemps(t, dir)
}

// Files given by Fill are written as if their Data were what Fill appends,
// each whole, though the writers reuse their buffers from file to file.
func TestWriteAllFill(t *testing.T) {
	dir := t.TempDir()
	var files, want []File
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("u%02d.service", i)
		text := strings.Repeat(name+"\n", 40-i) // longer first: a reused buffer has leftovers
		files = append(files, File{Name: name, Perm: 0o644, Fill: func(b []byte) []byte { return append(b, text...) }})
		want = append(want, File{Name: name, Data: []byte(text), Perm: 0o644})
	}
	for _, err := range WriteAll(dir, files, Batch{Workers: 3, Volatile: true}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkFiles(t, dir, want)
	assertNoTemps(t, dir)
}

// A volatile batch writes the same files, whole and with their modes, and a
// temporary name left behind by a killed run is stepped over, not reused.
func TestWriteAllVolatileSkipsStaleTemp(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, fmt.Sprintf(".a.service.berth-%d-0-0.tmp", os.Getpid()))
	if err := os.WriteFile(stale, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := unix.Umask(0o077) // a mode cut by the umask would show here
	defer unix.Umask(old)
	files := []File{{Name: "a.service", Data: []byte("A\n"), Perm: 0o644}, {Name: "b.service", Data: []byte(strings.Repeat("b", 1<<20)), Perm: 0o640}}
	for _, err := range WriteAll(dir, files, Batch{Workers: 2, Volatile: true}) {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkFiles(t, dir, files)
	if got, _ := os.ReadFile(stale); string(got) != "half" {
		t.Errorf("the stale temporary file was overwritten: %q", got)
	}
}

func checkFiles(t *testing.T, dir string, files []File) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(dir, f.Name)
		got, err := os.ReadFile(p)
		if err != nil || string(got) != string(f.Data) {
			t.Errorf("%s: %d bytes, %v; want %d bytes", f.Name, len(got), err, len(f.Data))
		}
		if st, err := os.Stat(p); err == nil && st.Mode().Perm() != f.Perm {
			t.Errorf("%s: mode %v, want %v", f.Name, st.Mode().Perm(), f.Perm)
		}
	}
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

// Concurrent writers of one path in one process never share a temporary
// file: the result is one writer's content, whole, and no temporary file
// is left.
func TestConcurrentWritesOfOnePath(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.service")
	contents := map[string]bool{}
	done := make(chan error)
	for i := 0; i < 8; i++ {
		c := strings.Repeat(fmt.Sprint(i), 4096)
		contents[c] = true
		go func() { done <- Write(p, []byte(c), 0o644) }()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(p); !contents[string(got)] {
		t.Errorf("a.service holds %d bytes that no writer wrote", len(got))
	}
	assertNoTemps(t, dir)
}

// A batch large enough to read the umask gets every mode right whether the
// umask keeps the bits (no fchmod) or cuts them (fchmod).
func TestWriteAllModesWithUmask(t *testing.T) {
	for _, mask := range []int{0o022, 0o077} {
		dir := t.TempDir()
		old := unix.Umask(mask)
		var files []File
		for i := 0; i < 12; i++ {
			perm := os.FileMode(0o644)
			if i%3 == 0 {
				perm = 0o600
			}
			files = append(files, File{Name: fmt.Sprintf("u%d.service", i), Data: []byte("x\n"), Perm: perm})
		}
		errs := WriteAll(dir, files, Batch{Workers: 3, Volatile: true})
		unix.Umask(old)
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		checkFiles(t, dir, files)
	}
	if um := currentUmask(); um < 0 || um > 0o777 {
		t.Errorf("currentUmask() = %o", um)
	}
}

// Join is filepath.Join for a clean folder, whatever the second part.
func TestJoinIsFilepathJoin(t *testing.T) {
	for _, dir := range []string{"/run/systemd/generator", "/", ".", "out", "../out", "a/b"} {
		for _, rel := range []string{"x.service", "default.target.wants/x.service", "a/b/c", "", ".", "..", "./x",
			"x/", "x//y", "x/./y", "x/../y", "../x", "/abs", ".x.service.berth-1-2-0.tmp", "..x", "x.."} {
			if got, want := Join(dir, rel), filepath.Join(dir, rel); got != want {
				t.Errorf("Join(%q, %q) = %q, filepath.Join gives %q", dir, rel, got, want)
			}
			if got, want := Dir(dir, rel), filepath.Dir(filepath.Join(dir, rel)); got != want {
				t.Errorf("Dir(%q, %q) = %q, filepath.Dir of the join gives %q", dir, rel, got, want)
			}
		}
	}
	if got := tempName("web.service", 42, 7, 1); got != ".web.service.berth-42-7-1.tmp" || !IsTemp(got) {
		t.Errorf("tempName = %q", got)
	}
}
