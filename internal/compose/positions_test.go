package compose

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestIncludes: the files of include:, short and long form, relative to
// the including file, are indexed for positions.
func TestIncludes(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "compose.yaml")
	text := "include:\n  - inc/a.yaml\n  - path: [inc/b.yaml, /abs/c.yaml]\n  - path: d.yaml\n    project_directory: x\nservices: {}\n"
	if err := os.WriteFile(main, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "inc/a.yaml"), filepath.Join(dir, "inc/b.yaml"), "/abs/c.yaml", filepath.Join(dir, "d.yaml")}
	if got := includes(main); !reflect.DeepEqual(got, want) {
		t.Errorf("includes:\n got %q\nwant %q", got, want)
	}
	if got := includes(filepath.Join(dir, "missing.yaml")); got != nil {
		t.Errorf("a missing file includes %q", got)
	}
}
