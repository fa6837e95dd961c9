package quadlet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// More of the reference comparison (reference_test.go): berth's container
// golden inputs, and the stacks in examples/, each compiled by berth and by the reference generator (podman
// 5.8's /usr/libexec/podman/quadlet on the sid test host:
// scripts/quadlet-differential.sh runs these with it), system and user.

// TestContainerGoldensMatchReference compares the container golden inputs
// that target podman 5.8 (no options file).
func TestContainerGoldensMatchReference(t *testing.T) {
	gen := refGenerator(t)
	dirs, _ := filepath.Glob("testdata/container-*")
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "options")); err == nil {
			continue // an older target or user scope: see TestResourceGoldensMatchReference
		}
		t.Run(filepath.Base(dir), func(t *testing.T) { compareDir(t, gen, dir) })
	}
}

// TestExamplesMatchReference compares every quadlet stack in examples/ and
// the folders in BERTH_REF_DIRS.
func TestExamplesMatchReference(t *testing.T) {
	gen := refGenerator(t)
	dirs, _ := filepath.Glob("../../examples/*")
	// More stacks (e.g. compose examples converted by `berth convert`), as
	// a list of folders.
	dirs = append(dirs, filepath.SplitList(os.Getenv("BERTH_REF_DIRS"))...)
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) { compareDir(t, gen, dir) })
	}
}

// compareDir compares every quadlet file directly in dir, as system and as
// user units; a folder without any is not a stack and passes.
func compareDir(t *testing.T, gen, dir string) {
	t.Helper()
	abs, _ := filepath.Abs(dir)
	files, _ := filepath.Glob(filepath.Join(abs, "*"))
	var names []string
	for _, f := range files {
		if name := filepath.Base(f); IsQuadlet(name) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		t.Skipf("%s holds no quadlet files", dir)
	}
	for _, user := range []bool{false, true} {
		for _, msg := range compareWithReference(gen, abs, names, user) {
			t.Errorf("user=%v: %s", user, msg)
		}
	}
	t.Logf("%d files agree (system and user): %s", len(names), strings.Join(names, " "))
}
