package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

func (a *app) newTopCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "top [SERVICE...]",
		Short: "Show the processes of services' running containers",
		RunE:  func(c *cobra.Command, args []string) error { return a.runTop(args) },
	}
}

func (a *app) runTop(args []string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	running, err := containersIn(ctx, p, units, "running")
	if err != nil {
		return err
	}
	for _, u := range running {
		out, err := p.Podman.Output(ctx, "top", u.Resource)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "%s\n%s\n", u.Resource, out)
	}
	return nil
}

// containersIn are the container units among units (all when none) whose
// container is in the given podman state (running, paused), read with one
// podman call.
func containersIn(ctx context.Context, p *run.Project, units []*run.Unit, status string) ([]*run.Unit, error) {
	if len(units) == 0 {
		units = p.Stack.Units
	}
	var names []string
	for _, u := range units {
		if u.Kind == run.KindContainer && u.Resource != "" {
			names = append(names, u.Resource)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	states, err := p.Podman.InspectMany(ctx, names...)
	if err != nil {
		return nil, err
	}
	var out []*run.Unit
	for _, u := range units {
		if c := states[u.Resource]; u.Kind == run.KindContainer && c != nil && c.Status == status && run.Own(u, c) {
			out = append(out, u)
		}
	}
	return out, nil
}
