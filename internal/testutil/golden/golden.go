// Package golden is the one implementation of berth's whole-file golden
// tests: a test renders its output as text, Check compares it with the
// expected file in testdata/, and `go test -update` rewrites the expected
// files instead, so a change of output is reviewed as a git diff.
//
// Only _test.go files import this package.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// update is registered once here, not in each package, because two
// registrations of the same flag name in one test binary panic.
var update = flag.Bool("update", false, "rewrite the expected files of golden tests instead of comparing with them")

// Update reports whether the test binary runs with -update.
func Update() bool { return *update }

// hint tells the reader how to accept an intended change of output.
const hint = "run go test -update in this package and review the git diff"

// Check compares got with the file at path, or, with -update, writes got
// to path.
func Check(t testing.TB, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (%s)", err, hint)
	}
	if got != string(want) {
		t.Errorf("output differs from %s at line %d (%s)\n--- got ---\n%s", path, firstDiffLine(got, string(want)), hint, got)
	}
}

// CheckTree compares a set of files (slash-separated relative path → text)
// with the files under dir, or, with -update, replaces dir with them. A file
// on one side only is a difference too.
func CheckTree(t testing.TB, dir string, got map[string]string) {
	t.Helper()
	if *update {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		for rel, text := range got {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want, err := readTree(dir)
	if err != nil {
		t.Fatalf("%v (%s)", err, hint)
	}
	for _, rel := range unionKeys(got, want) {
		g, inGot := got[rel]
		w, inWant := want[rel]
		p := filepath.Join(dir, filepath.FromSlash(rel))
		switch {
		case !inWant:
			t.Errorf("%s is not expected: no %s (%s)\n--- got ---\n%s", rel, p, hint, g)
		case !inGot:
			t.Errorf("%s was expected but not produced (%s)", p, hint)
		case g != w:
			t.Errorf("%s differs from %s at line %d (%s)\n--- got ---\n%s", rel, p, firstDiffLine(g, w), hint, g)
		}
	}
}

// readTree reads every regular file under root; a missing root is empty.
func readTree(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		out[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if os.IsNotExist(err) {
		return out, nil
	}
	return out, err
}

func unionKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// firstDiffLine is the 1-based number of the first line where got and want
// differ, so that a long output's difference can be found without a diff
// tool.
func firstDiffLine(got, want string) int {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) && i < len(w); i++ {
		if g[i] != w[i] {
			return i + 1
		}
	}
	return min(len(g), len(w)) + 1
}

// Cases runs one subtest per folder under root (discovered by listing it, so
// a new case is a new folder): render turns the folder into text, which is
// compared with the folder's expected.txt.
func Cases(t *testing.T, root string, render func(t *testing.T, dir string) string) {
	t.Helper()
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		dir := filepath.Join(root, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			Check(t, filepath.Join(dir, "expected.txt"), render(t, dir))
		})
	}
	if n == 0 {
		t.Fatalf("no golden cases under %s", root)
	}
}
