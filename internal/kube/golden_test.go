package kube

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/testutil/golden"
	"github.com/berth-dev/berth/internal/version"
)

// TestGolden exports every folder under testdata/cases (quadlet files and
// an optional "options" file of key=value lines: for, namespace,
// service_type, include_secret_values) and compares the report and the
// manifests with expected.txt. Regenerate with -update.
func TestGolden(t *testing.T) {
	golden.Cases(t, "testdata/cases", func(t *testing.T, dir string) string {
		units, diags := quadlet.Load([]string{dir})
		if diags.HasErrors() {
			t.Fatalf("loading %s: %v", dir, diags)
		}
		opts := caseOptions(t, dir)
		res, err := Export(units, opts)
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		out, err := YAML(res.Objects)
		if err != nil {
			t.Fatal(err)
		}
		abs, _ := filepath.Abs(dir)
		var b strings.Builder
		for _, l := range res.Report.Losses {
			l.Pos.File = strings.TrimPrefix(l.Pos.File, abs+"/")
			b.WriteString(l.String() + "\n")
		}
		for _, c := range res.Report.Commands {
			b.WriteString("command: " + c + "\n")
		}
		b.WriteString("---- manifests ----\n")
		b.Write(out)
		return b.String()
	})
}

func caseOptions(t *testing.T, dir string) Options {
	t.Helper()
	opts := Options{Project: filepath.Base(dir), Dir: dir,
		SecretValue: func(name string) ([]byte, error) { return []byte("value-of-" + name), nil }}
	f, err := os.Open(filepath.Join(dir, "options"))
	if os.IsNotExist(err) {
		return opts
	} else if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "for":
			opts.For = Target(v)
		case "namespace":
			opts.Namespace = v
		case "service_type":
			opts.ServiceType = corev1.ServiceType(v)
		case "podman":
			v, err := version.Parse(v)
			if err != nil {
				t.Fatal(err)
			}
			opts.Podman = v
		case "include_secret_values":
			opts.IncludeSecretValues = v == "true"
		default:
			t.Fatalf("%s/options: unknown key %q", dir, k)
		}
	}
	return opts
}

// TestExportDeterministic exports the same stack twice, with its units in a
// different order: the bytes must not differ.
func TestExportDeterministic(t *testing.T) {
	units, _ := quadlet.Load([]string{"testdata/cases/storage"})
	first, err := Export(units, Options{Project: "p"})
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(units)-1; i < j; i, j = i+1, j-1 {
		units[i], units[j] = units[j], units[i]
	}
	second, err := Export(units, Options{Project: "p"})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := YAML(first.Objects)
	b, _ := YAML(second.Objects)
	if string(a) != string(b) || fmt.Sprint(first.Report) != fmt.Sprint(second.Report) {
		t.Fatal("the same stack in another order exported differently")
	}
}
