package quadlet

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// TestGolden compiles every folder under testdata/ and compares the result
// with its expected.txt. A folder may hold an "options" file with lines
// "user=true" and "target=4.3.1".
func TestGolden(t *testing.T) { golden.Cases(t, "testdata", compileDir) }

// compileDir loads and compiles one golden case and renders the result.
func compileDir(t *testing.T, dir string) string {
	t.Helper()
	opts := readOptions(t, dir)
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	units, diags := Load([]string{abs})
	res := Compile(units, opts)
	diags = append(diags, res.Diags...)
	diags.Sort()
	var b strings.Builder
	for _, s := range res.Services {
		b.WriteString("---" + s.Name + "---\n")
		b.WriteString(s.File.Format())
		b.WriteString("\n")
	}
	if len(diags) > 0 {
		b.WriteString("--- diagnostics ---\n")
		for _, d := range diags {
			b.WriteString(d.String() + "\n")
		}
	}
	return strings.ReplaceAll(b.String(), abs, "$DIR")
}

func readOptions(t *testing.T, dir string) Options {
	var o Options
	f, err := os.Open(filepath.Join(dir, "options"))
	if os.IsNotExist(err) {
		return o
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		switch k {
		case "user":
			o.User = val == "true"
		case "target":
			o.Target = version.Must(val)
		case "":
		default:
			t.Fatalf("%s/options: unknown option %q", dir, k)
		}
	}
	return o
}
