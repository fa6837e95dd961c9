package lint

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// optionsOf reads testdata/<case>/options: flags as on the command line.
func optionsOf(t *testing.T, dir string) Options {
	var o Options
	data, err := os.ReadFile(filepath.Join(dir, "options"))
	if err != nil {
		return o
	}
	words := strings.Fields(string(data))
	for i := 0; i+1 < len(words); i += 2 {
		switch words[i] {
		case "--podman-version":
			o.Target = version.Must(words[i+1])
		case "--disable":
			o.Disable = append(o.Disable, words[i+1])
		case "--generator":
			o.Generator = words[i+1]
		default:
			t.Fatalf("%s/options: unknown flag %s", dir, words[i])
		}
	}
	return o
}

// TestGolden lints each folder of testdata and compares the text report
// with its expected.txt; -update rewrites them.
func TestGolden(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/*")
	for _, dir := range dirs {
		dir := dir
		t.Run(filepath.Base(dir), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Run([]string{dir}, optionsOf(t, dir)).Write(&buf, "text"); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(dir, "expected.txt"), buf.String())
		})
	}
}

// TestEveryRuleHasACase checks that each rule fires in its own testdata
// folder, so that no rule goes untested.
func TestEveryRuleHasACase(t *testing.T) {
	for _, r := range Rules() {
		dir := filepath.Join("testdata", r.Code)
		rep := Run([]string{dir}, optionsOf(t, dir))
		found := false
		for _, d := range rep.Diagnostics {
			if d.Code == r.Code {
				found = true
				if d.Severity != r.Severity && r.Code != "syntax" {
					t.Errorf("%s: severity %v, the rule says %v", r.Code, d.Severity, r.Severity)
				}
			}
		}
		if !found {
			t.Errorf("rule %s does not fire on %s", r.Code, dir)
		}
		if r.Rationale == "" || strings.Contains(r.Rationale, "\n") {
			t.Errorf("rule %s needs a one-line rationale", r.Code)
		}
	}
}
