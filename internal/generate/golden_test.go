package generate

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/testutil/golden"
)

const testArgv0 = "/usr/lib/systemd/system-generators/berth-system-generator"

// TestGolden runs the generator on each testdata/<case>/units folder, for
// real and in dry-run, and compares the log, the output folder (files and
// links) and the dry-run output with testdata/<case>/expected.txt.
func TestGolden(t *testing.T) { golden.Cases(t, "testdata", renderCase) }

func renderCase(t *testing.T, dir string) string {
	t.Helper()
	units, err := filepath.Abs(filepath.Join(dir, "units"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "normal")
	var b strings.Builder
	logs, err := runForTest(Config{Dirs: []string{units}, Output: out, Argv0: testArgv0})
	b.WriteString("=== exit: " + errText(err) + "\n")
	b.WriteString("=== log\n" + logs)
	b.WriteString("=== output folder\n" + renderTree(t, out))
	var stdout bytes.Buffer
	logs, err = runForTest(Config{Dirs: []string{units}, DryRun: true, Stdout: &stdout})
	b.WriteString("=== dry-run exit: " + errText(err) + "\n")
	b.WriteString("=== dry-run log\n" + logs)
	b.WriteString("=== dry-run stdout\n" + stdout.String())
	s := strings.ReplaceAll(b.String(), units, "$UNITS")
	return strings.ReplaceAll(s, out, "$OUT")
}

// runForTest runs the generator with a debug logger and returns the log.
func runForTest(cfg Config) (string, error) {
	var stderr bytes.Buffer
	cfg.Log = &Logger{Stderr: &stderr, PID: 42, Debug: true}
	cfg.Options = quadlet.Options{Exists: func(string) bool { return true }}
	err := Run(cfg)
	return stderr.String(), err
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

// renderTree lists a folder: files with their content, links with their
// targets, in lexical order.
func renderTree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == root {
				b.WriteString("(no folder)\n")
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(root, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			b.WriteString("--- " + rel + " -> " + target + "\n")
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.WriteString("--- " + rel + "\n" + string(data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
