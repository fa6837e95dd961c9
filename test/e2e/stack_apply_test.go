//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The built-in executor has the same notion of "changed" as install under
// systemd, and its dry run the same words: a changed bind-mounted file or
// environment file recreates exactly the container that reads it.
func TestStackUpRecreatesWhatReadsAChangedFile(t *testing.T) {
	needImages(t, "scripts/build-test-images.sh", "localhost/berth-test/web:latest")
	s := newStack(t, map[string]string{
		"a.container": "[Container]\nContainerName={P}-a\nImage=localhost/berth-test/web:latest\nVolume=./conf.txt:/conf.txt:ro\n",
		"b.container": "[Container]\nContainerName={P}-b\nImage=localhost/berth-test/web:latest\nEnvironmentFile=./b.env\n",
		"conf.txt":    "one\n",
		"b.env":       "MESSAGE=one\n",
	})
	s.must("up", "-d")
	id := func(c string) string { return podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-"+c) }
	a0, b0 := id("a"), id("b")

	if err := os.WriteFile(filepath.Join(s.dir, "conf.txt"), []byte("two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := s.must("up", "--dry-run")
	if !strings.Contains(plan, "change  a.service (conf.txt)") || !strings.Contains(plan, "keep    b.service") {
		t.Errorf("up --dry-run:\n%s", plan)
	}
	if id("a") != a0 {
		t.Fatal("up --dry-run recreated a")
	}
	out := s.must("up", "-d")
	if id("a") == a0 || id("b") != b0 {
		t.Errorf("bind-mounted file changed: a recreated %v (want true), b recreated %v (want false)\n%s", id("a") != a0, id("b") != b0, out)
	}

	if err := os.WriteFile(filepath.Join(s.dir, "b.env"), []byte("MESSAGE=two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a1 := id("a")
	out = s.must("up", "-d")
	env := podmanOut(t, "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", s.project+"-b")
	if id("b") == b0 || id("a") != a1 || !strings.Contains(env, "MESSAGE=two") {
		t.Errorf("env file changed: b recreated %v with MESSAGE=two %v, a kept %v\n%s", id("b") != b0, strings.Contains(env, "MESSAGE=two"), id("a") == a1, out)
	}
	if plan := s.must("up", "--dry-run"); strings.Contains(plan, "change  ") {
		t.Errorf("nothing changed, yet:\n%s", plan)
	}
}
