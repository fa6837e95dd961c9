package cli

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Every compose test project converts, compiles and loads into the
// executor for the oldest and newest podman berth runs on: what `berth up
// -f` does before it starts anything.
func TestComposeCorpusRuns(t *testing.T) {
	cases, _ := filepath.Glob("../compose/testdata/*/compose.yaml")
	if len(cases) == 0 {
		t.Fatal("no compose test projects")
	}
	host := sd.HostFacts(false)
	for _, file := range cases {
		dir := filepath.Dir(file)
		for _, target := range []version.V{version.Must("4.3.1"), version.Latest} {
			t.Run(filepath.Base(dir)+"/"+target.String(), func(t *testing.T) {
				p, err := compose.Load(context.Background(), compose.LoadOptions{Files: []string{file}, Env: []string{}})
				if err != nil {
					t.Skip(err) // cases that need options files are loaded by the golden test
				}
				units, _, err := compose.ToUnits(p, compose.Options{Target: target})
				if err != nil {
					t.Skip("not expressible:", err)
				}
				for i, u := range units {
					f, diags := unitfile.Parse(u.Name, []byte(u.File.Format()))
					if diags.HasErrors() {
						t.Fatalf("%s: %v", u.Name, diags)
					}
					units[i] = &quadlet.Unit{Name: u.Name, File: f}
				}
				st, diags, err := run.CompileStack(dir, p.Name, units, target, host, nil)
				if err != nil || diags.HasErrors() {
					t.Fatalf("compile: %v %v", err, diags)
				}
				if len(st.Units) == 0 {
					t.Fatalf("no units")
				}
			})
		}
	}
}
