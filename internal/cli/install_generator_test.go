package cli

import (
	"os"
	"path/filepath"
	"testing"
)

// berth install links berth-generator from berth's own folder, else berth.
func TestGeneratorExecutable(t *testing.T) {
	dir := t.TempDir()
	berth := filepath.Join(dir, "berth")
	if err := os.WriteFile(berth, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, small := generatorExecutable(berth); got != berth || small {
		t.Errorf("without berth-generator: %q, %v; want berth itself", got, small)
	}
	gen := filepath.Join(dir, generatorName)
	if err := os.WriteFile(gen, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, small := generatorExecutable(berth); got != berth || small {
		t.Errorf("berth-generator not executable: %q, %v; want berth itself", got, small)
	}
	if err := os.Chmod(gen, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, small := generatorExecutable(berth); got != gen || !small {
		t.Errorf("got %q, %v; want %q", got, small, gen)
	}
	if got, _ := generatorExecutable(""); got != "" {
		t.Errorf("no berth executable: %q", got)
	}
}
