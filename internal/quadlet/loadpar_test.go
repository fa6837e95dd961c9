package quadlet

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/diag"
)

// TestLoadParallelMatchesLoad checks that LoadParallel returns what Load
// returns, diagnostics included, on a tree with every drop-in rule.
func TestLoadParallelMatchesLoad(t *testing.T) {
	root := t.TempDir()
	a, b, missing := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "missing")
	files := map[string]string{
		"a/web.container":                 "[Container]\nImage=quay.io/a/web\n",
		"b/web.container":                 "[Container]\nImage=quay.io/b/shadowed\n",
		"a/broken.container":              "[Container]\nnot a key\n",
		"b/broken.container":              "[Container]\nImage=quay.io/b/fallback\n",
		"a/foo-bar-baz.container":         "[Container]\nImage=quay.io/a/foo\n",
		"a/tmpl@.container":               "[Container]\nImage=quay.io/a/tmpl\n",
		"a/tmpl@one.container":            "[Container]\nImage=quay.io/a/one\n",
		"b/db.volume":                     "[Volume]\n",
		"a/notes.txt":                     "ignored\n",
		"a/container.d/10-all.conf":       "[Container]\nLabel=all=1\n",
		"b/container.d/10-all.conf":       "[Container]\nLabel=shadowed=1\n",
		"b/container.d/20-b.conf":         "[Container]\nLabel=b=1\n",
		"a/web.container.d/10-all.conf":   "[Container]\nLabel=web-wins=1\n",
		"a/web.container.d/30-bad.conf":   "[Container]\nbad line\n",
		"a/web.container.d/readme":        "not a conf\n",
		"b/foo-.container.d/40-foo.conf":  "[Container]\nLabel=foo=1\n",
		"a/foo-bar-.container.d/50.conf":  "[Service]\nRestart=always\n",
		"a/tmpl@.container.d/60.conf":     "[Container]\nLabel=tmpl=1\n",
		"b/tmpl@one.container.d/70.conf":  "[Container]\nLabel=one=1\n",
		"a/volume.d/80.conf":              "[Volume]\nLabel=v=1\n",
		"b/db.volume.d/90.conf":           "[Volume]\nLabel=db=1\n",
		"a/dir.container/x":               "a folder named like a unit\n",
		"b/vol-.volume.d/unused.conf":     "[Volume]\n",
		"a/many-0.container":              "[Container]\nImage=quay.io/a/m\n",
		"a/many-1.container":              "[Container]\nImage=quay.io/a/m\n",
		"b/many-.container.d/shared.conf": "[Container]\nLabel=many=1\n",
	}
	for name, text := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A drop-in "folder" that is a file: reading it is an error.
	if err := os.WriteFile(filepath.Join(a, "db.volume.d"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	dirs := []string{a, missing, b}
	want := renderLoad(Load(dirs))
	for _, workers := range []int{1, 2, 8} {
		if got := renderLoad(LoadParallel(dirs, workers)); got != want {
			t.Errorf("LoadParallel(workers=%d) differs from Load:\n--- Load\n%s\n--- LoadParallel\n%s", workers, want, got)
		}
	}
	if !strings.Contains(want, "web-wins=1") || !strings.Contains(want, "quay.io/b/fallback") || !strings.Contains(want, "not a directory") {
		t.Errorf("the tree does not exercise what it should:\n%s", want)
	}
	// One folder listing anything (LoadParallel then keeps no map of names).
	for _, dirs := range [][]string{{missing, a}, {b, missing}, {a}} {
		want := renderLoad(Load(dirs))
		if got := renderLoad(LoadParallel(dirs, 2)); got != want {
			t.Errorf("LoadParallel(%v) differs from Load:\n--- Load\n%s\n--- LoadParallel\n%s", dirs, want, got)
		}
	}
}

func renderLoad(units []*Unit, diags diag.List) string {
	var b strings.Builder
	for _, u := range units {
		fmt.Fprintf(&b, "== %s %s\n%s", u.Name, u.Path, u.File.Format())
	}
	b.WriteString("== diags\n")
	for _, d := range diags {
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}
