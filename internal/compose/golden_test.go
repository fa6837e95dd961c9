package compose

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// caseOptions are read from a case's "options" file, one key=value a line:
// files=a.yaml,b.yaml  env_file=x  profile=p  name=n  target=4.4.0  pod=true
// podman_quadlet=true
// env=NAME=value (process environment; repeatable).
type caseOptions struct {
	load LoadOptions
	conv Options
}

func readCaseOptions(t *testing.T, dir string) caseOptions {
	t.Helper()
	o := caseOptions{load: LoadOptions{Env: []string{}}}
	f, err := os.Open(filepath.Join(dir, "options"))
	if err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, val, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
			switch k {
			case "files":
				for _, name := range strings.Split(val, ",") {
					o.load.Files = append(o.load.Files, filepath.Join(dir, name))
				}
			case "env_file":
				o.load.EnvFiles = append(o.load.EnvFiles, filepath.Join(dir, val))
			case "profile":
				o.load.Profiles = append(o.load.Profiles, val)
			case "name":
				o.load.Name = val
			case "env":
				o.load.Env = append(o.load.Env, val)
			case "target":
				o.conv.Target = version.Must(val)
			case "pod":
				o.conv.Pod = val == "true"
			case "podman_quadlet":
				o.conv.PodmanQuadlet = val == "true"
			case "":
			default:
				t.Fatalf("%s/options: unknown option %q", dir, k)
			}
		}
	}
	if len(o.load.Files) == 0 {
		o.load.Files = []string{filepath.Join(dir, "compose.yaml")}
	}
	return o
}

// TestGolden converts every testdata/<case> and compares units and report
// with expected.txt; every generated unit must compile without errors.
func TestGolden(t *testing.T) {
	golden.Cases(t, "testdata", func(t *testing.T, dir string) string {
		abs, err := filepath.Abs(dir)
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(convertCase(t, abs), abs, "$DIR")
	})
}

func convertCase(t *testing.T, dir string) string {
	t.Helper()
	o := readCaseOptions(t, dir)
	p, err := Load(context.Background(), o.load)
	if err != nil {
		return "--- load error ---\n" + err.Error() + "\n"
	}
	units, rep, convErr := ToUnits(p, o.conv)
	var b strings.Builder
	for _, u := range units {
		b.WriteString("--- " + u.Name + " ---\n" + u.File.Format() + "\n")
	}
	b.WriteString("--- report ---\n" + rep.String())
	if convErr != nil {
		b.WriteString("--- error ---\n" + convErr.Error() + "\n")
	}
	res := quadlet.Compile(units, quadlet.Options{Target: o.conv.Target})
	for _, d := range res.Diags.Errors() {
		t.Errorf("generated unit does not compile: %s", d)
	}
	if len(res.Services) != len(units) {
		t.Errorf("compiled %d services from %d units", len(res.Services), len(units))
	}
	return b.String()
}
