package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

// newPauseCmd makes `pause` (verb "pause") or `unpause` (verb "unpause").
func (a *app) newPauseCmd(verb string) *cobra.Command {
	short := map[string]string{"pause": "Pause", "unpause": "Unpause"}[verb] + " services' running containers (their processes are frozen, not stopped)"
	return a.servicesCmd(verb+" [SERVICE...]", short, func(ctx context.Context, p *run.Project, units []*run.Unit) error {
		return a.runPause(ctx, verb, p, units)
	})
}

func (a *app) runPause(ctx context.Context, verb string, p *run.Project, units []*run.Unit) error {
	from := "running"
	if verb == "unpause" {
		from = "paused"
	}
	running, err := containersIn(ctx, p, units, from)
	if err != nil {
		return err
	}
	for _, u := range running {
		if _, err := p.Podman.Output(ctx, verb, u.Resource); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%-14s %sd\n", u.Service, verb)
	}
	return nil
}
