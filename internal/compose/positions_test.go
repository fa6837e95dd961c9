package compose

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
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

// TestPositionsThroughAnchorsAndExtends: keys a service gets from an
// anchor (alias or merge key) or from extends: (same file or another) are
// where they are written; the service's own keys keep their lines.
func TestPositionsThroughAnchorsAndExtends(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "compose.yaml")
	text := "x-log: &log\n  driver: journald\nx-env: &env\n  A: \"1\"\n" + // lines 1-4
		"services:\n  web:\n    image: x\n    logging: *log\n    environment:\n      <<: *env\n      B: \"2\"\n" + // 5-11
		"  api:\n    extends: web\n    image: y\n" + // 12-14
		"  job:\n    extends: {file: base.yaml, service: base}\n" // 15-16
	base := "services:\n  base:\n    image: z\n    restart: on-failure\n"
	for name, data := range map[string]string{main: text, filepath.Join(dir, "base.yaml"): base} {
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := indexFiles([]string{main})
	for path, want := range map[string]string{
		"services.web.logging.driver": "compose.yaml:2:3",
		"services.web.environment.A":  "compose.yaml:4:3",
		"services.web.environment.B":  "compose.yaml:11:7",
		"services.api.image":          "compose.yaml:14:5", // its own
		"services.api.logging.driver": "compose.yaml:2:3",  // web's, through the anchor
		"services.api.environment.B":  "compose.yaml:11:7",
		"services.job.restart":        "base.yaml:4:5",
		"services.job.image":          "base.yaml:3:5",
	} {
		pos := p.at[path]
		if got := filepath.Base(pos.File) + ":" + strconv.Itoa(pos.Line) + ":" + strconv.Itoa(pos.Col); got != want {
			t.Errorf("%s: got %s, want %s", path, got, want)
		}
	}
}
