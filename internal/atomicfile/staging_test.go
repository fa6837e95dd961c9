package atomicfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// checkFolder fails unless dir holds exactly want (name -> content), each
// file with mode 0644 less the umask, and no temporary file.
func checkFolder(t *testing.T, dir string, want map[string]string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	got := map[string]bool{}
	for _, e := range entries {
		got[e.Name()] = true
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if w, ok := want[e.Name()]; !ok || err != nil || string(data) != w {
			t.Errorf("%s holds %q (%v), want %q", e.Name(), data, err, want[e.Name()])
			continue
		}
		umask := currentUmask()
		if st, err := os.Stat(filepath.Join(dir, e.Name())); umask >= 0 && (err != nil || st.Mode().Perm() != 0o644&^os.FileMode(umask)) {
			t.Errorf("%s has mode %v, %v", e.Name(), st.Mode(), err)
		}
	}
	for name := range want {
		if !got[name] {
			t.Errorf("%s is missing", name)
		}
	}
}

// Every way Put has of writing a file gives the same folder: the files
// whole, with their mode, one that existed replaced, no temporary file.
func TestPutWays(t *testing.T) {
	ways := map[string]func(*Staging){
		"default": func(*Staging) {},
		"named":   func(s *Staging) { s.named.Store(true) },
		"proc":    func(s *Staging) { s.link.Store(linkProc) },
		"copy":    func(s *Staging) { s.link.Store(linkCopy) },
	}
	for name, setup := range ways {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f0"), []byte("old"), 0o600); err != nil {
				t.Fatal(err)
			}
			s := NewStaging(dir, 8, Batch{Workers: 2, Volatile: true})
			setup(s)
			want := map[string]string{}
			for i, f := range []string{"f0", "f1", "f2"} {
				if err := s.Put(i, File{Name: f, Data: []byte("c" + f), Perm: 0o644}); err != nil {
					t.Errorf("Put(%s): %v", f, err)
				}
				want[f] = "c" + f
			}
			s.Commit(nil, nil, nil)
			checkFolder(t, dir, want)
			if name == "default" && runtime.GOOS == "linux" && s.named.Load() {
				t.Log("no O_TMPFILE in the test folder's file system: Put named its files")
			}
		})
	}
}

// A file that cannot take the name (a folder is in the way) fails, and
// leaves nothing behind.
func TestPutOverFolderFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "f"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := NewStaging(dir, 1, Batch{Volatile: true})
	err := s.Put(0, File{Name: "f", Data: []byte("x"), Perm: 0o644})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "f")) {
		t.Errorf("Put over a folder: %v", err)
	}
	s.Commit(nil, nil, nil)
	assertNoTemps(t, dir)
}

func TestPutNeedsVolatile(t *testing.T) {
	s := NewStaging(t.TempDir(), 1, Batch{})
	if err := s.Put(0, File{Name: "f", Data: []byte("x"), Perm: 0o644}); err == nil {
		t.Error("Put in a batch that is flushed succeeded")
	}
}

// Staged files appear at Commit, the discarded ones never.
func TestStageCommitDiscard(t *testing.T) {
	for _, volatile := range []bool{false, true} {
		dir := t.TempDir()
		s := NewStaging(dir, 3, Batch{Volatile: volatile})
		var names []string
		var staged []Staged
		for i, f := range []string{"a", "b", "c"} {
			st, err := s.Stage(i, File{Name: f, Data: []byte("c" + f), Perm: 0o644})
			if err != nil {
				t.Fatal(err)
			}
			if f == "b" {
				s.Discard(st)
				continue
			}
			names, staged = append(names, f), append(staged, st)
		}
		if _, err := os.Stat(filepath.Join(dir, "a")); err == nil {
			t.Error("a staged file is in place before Commit")
		}
		errs := make([]error, len(staged))
		s.Commit(names, staged, errs)
		for i, err := range errs {
			if err != nil {
				t.Errorf("%s: %v", names[i], err)
			}
		}
		checkFolder(t, dir, map[string]string{"a": "ca", "c": "cc"})
	}
}
