package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

// buildOptions are the flags of `berth build`.
type buildOptions struct{}

func (a *app) newBuildCmd() *cobra.Command {
	var o buildOptions
	return &cobra.Command{
		Use:   "build [SERVICE...]",
		Short: "Run the stack's .build units (all, or those the services use)",
		RunE:  func(c *cobra.Command, args []string) error { return a.runBuild(o, args) },
	}
}

// runBuild runs the ExecStart of .build units again, even when they ran
// before: a build is what the user asks for here.
func (a *app) runBuild(_ buildOptions, args []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	builds := buildUnits(p.Stack, units)
	if len(builds) == 0 {
		fmt.Fprintln(a.stderr, "nothing to build: no .build units")
		return nil
	}
	return a.runBuilds(ctx, p, builds)
}

// runBuilds runs .build units one after the other and reports them; a
// failed build's own status becomes berth's.
func (a *app) runBuilds(ctx context.Context, p *run.Project, builds []*run.Unit) error {
	var outs []*run.Outcome
	for _, b := range builds {
		st, err := p.Exec.Start(ctx, b)
		outs = append(outs, &run.Outcome{Step: &run.Step{Name: b.Name, Unit: b, Action: run.ActStart}, Started: st, Err: err})
	}
	if err := a.reportOutcomes(outs); err != nil {
		// The build's own status is berth's, as docker compose passes it.
		for _, o := range outs {
			var se *run.StartError
			if errors.As(o.Err, &se) && se.Err == nil && se.Code > 0 {
				return &exitCodeError{code: se.Code, err: err}
			}
		}
		return err
	}
	return nil
}

// buildUnits are the .build units among units or required by them (all
// when units is empty).
func buildUnits(st *run.Stack, units []*run.Unit) []*run.Unit {
	if len(units) == 0 {
		units = st.Units
	}
	seen := map[string]bool{}
	var out []*run.Unit
	for _, u := range units {
		cands := []*run.Unit{u}
		for _, d := range u.Svc.PullsIn() {
			if du := st.Unit(d); du != nil {
				cands = append(cands, du)
			}
		}
		for _, c := range cands {
			if c.Kind == run.KindBuild && !seen[c.Name] && strings.HasSuffix(c.Source, ".build") {
				seen[c.Name] = true
				out = append(out, c)
			}
		}
	}
	return out
}
