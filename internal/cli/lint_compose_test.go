package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/golden"
)

// TestLintComposeGolden runs `berth lint -f ...` on copies of
// testdata/lint-compose/<case> (arguments in its "args" file; global flags
// such as -p before "lint") and compares exit code and output with
// expected.txt.
func TestLintComposeGolden(t *testing.T) {
	eachCase(t, "lint-compose", func(t *testing.T, src, dir string) {
		data, err := os.ReadFile(filepath.Join(src, "args"))
		if err != nil {
			t.Fatal(err)
		}
		var global, args []string
		for _, w := range strings.Fields(string(data)) {
			args = append(args, w)
		}
		if len(args) > 1 && args[0] == "-p" {
			global, args = args[:2], args[2:]
		}
		a, stdout, stderr := testApp("berth", nil)
		code := a.run(append(append(append([]string{"-C", dir}, global...), "lint"), args...))
		got := "$ berth lint " + strings.TrimSpace(string(data)) + "\n=== exit " + string(rune('0'+code)) +
			"\n=== stdout\n" + stdout.String() + "=== stderr\n" + stderr.String()
		golden.Check(t, filepath.Join(src, "expected.txt"), strings.ReplaceAll(got, dir, "$DIR"))
	})
}
