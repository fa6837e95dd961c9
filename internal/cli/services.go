package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
)

// servicesRun is what a container verb does with the project and the units
// its SERVICE arguments name (none when there are none).
type servicesRun func(ctx context.Context, p *run.Project, units []*run.Unit) error

// servicesCmd makes a verb `use` over the SERVICE arguments that ends on
// Ctrl-C: images, top, wait, pause and unpause share it.
func (a *app) servicesCmd(use, short string, do servicesRun) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		RunE: func(c *cobra.Command, args []string) error {
			ctx, cancel := stopSignals()
			defer cancel()
			p, units, err := a.openServices(ctx, args)
			if err != nil {
				return err
			}
			return do(ctx, p, units)
		},
	}
}

// containerUnits are the container units among units (the stack's all when
// there are none) that name a container.
func containerUnits(p *run.Project, units []*run.Unit) []*run.Unit {
	if len(units) == 0 {
		units = p.Stack.Units
	}
	var out []*run.Unit
	for _, u := range units {
		if u.Kind == run.KindContainer && u.Resource != "" {
			out = append(out, u)
		}
	}
	return out
}

// containersWhere are containerUnits whose container is this project's
// and whose state has, read with one podman call.
func containersWhere(ctx context.Context, p *run.Project, units []*run.Unit, has func(*podman.State) bool) ([]*run.Unit, error) {
	units = containerUnits(p, units)
	if len(units) == 0 {
		return nil, nil
	}
	names := make([]string, len(units))
	for i, u := range units {
		names[i] = u.Resource
	}
	states, err := p.Podman.InspectMany(ctx, names...)
	if err != nil {
		return nil, err
	}
	var out []*run.Unit
	for _, u := range units {
		if c := states[u.Resource]; c != nil && has(c) && run.Own(u, c) {
			out = append(out, u)
		}
	}
	return out, nil
}

// containersIn are the containersWhere podman's state is status (running,
// paused).
func containersIn(ctx context.Context, p *run.Project, units []*run.Unit, status string) ([]*run.Unit, error) {
	return containersWhere(ctx, p, units, func(c *podman.State) bool { return c.Status == status })
}

// containerService opens the project and returns the container unit of a
// service, refusing another project's container of that name.
func (a *app) containerService(ctx context.Context, service string) (*run.Project, *run.Unit, error) {
	p, err := a.openProject(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	u, err := ownContainer(ctx, p, service)
	if err != nil {
		return nil, nil, err
	}
	return p, u, nil
}

// ownContainer is serviceContainer, refusing another project's container
// of that name.
func ownContainer(ctx context.Context, p *run.Project, service string) (*run.Unit, error) {
	u, err := serviceContainer(p, service)
	if err != nil {
		return nil, err
	}
	if err := p.Foreign(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// serviceContainer is the container unit of a service; anything else is a
// usage error that lists the services.
func serviceContainer(p *run.Project, service string) (*run.Unit, error) {
	u := p.Stack.Unit(service)
	if u == nil || u.Kind != run.KindContainer {
		return nil, &usageError{err: fmt.Errorf("no container service %q (services: %s)", service, strings.Join(p.Stack.ServiceNames(), ", "))}
	}
	return u, nil
}
