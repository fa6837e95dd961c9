package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

func (a *app) newTopCmd() *cobra.Command {
	return a.servicesCmd("top [SERVICE...]", "Show the processes of services' running containers", a.runTop)
}

func (a *app) runTop(ctx context.Context, p *run.Project, units []*run.Unit) error {
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
