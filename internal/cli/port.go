package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

// portOptions are the flags of `berth port`.
type portOptions struct {
	protocol string
}

func (a *app) newPortCmd() *cobra.Command {
	var o portOptions
	cmd := &cobra.Command{
		Use:   "port SERVICE PRIVATE_PORT",
		Short: "Print the host address a service's container port is published on",
		Args:  cobra.ExactArgs(2),
		RunE:  func(c *cobra.Command, args []string) error { return a.runPort(c.Context(), o, args[0], args[1]) },
	}
	cmd.Flags().StringVar(&o.protocol, "protocol", "tcp", "`PROTOCOL`: tcp or udp")
	return cmd
}

func (a *app) runPort(ctx context.Context, o portOptions, service, port string) error {
	p, u, err := a.containerService(ctx, service)
	if err != nil {
		return err
	}
	out, err := p.Podman.Output(ctx, "port", u.Resource, port+"/"+o.protocol)
	if err != nil {
		return fmt.Errorf("%s: no published port %s/%s: %w", service, port, o.protocol, err)
	}
	fmt.Fprint(a.stdout, string(out))
	return nil
}

// containerService opens the project and returns the container unit of a
// service; anything else is a usage error.
func (a *app) containerService(ctx context.Context, service string) (*run.Project, *run.Unit, error) {
	p, err := a.openProject(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	u := p.Stack.Unit(service)
	if u == nil || u.Kind != run.KindContainer {
		return nil, nil, &usageError{err: fmt.Errorf("no container service %q (services: %s)", service, strings.Join(p.Stack.ServiceNames(), ", "))}
	}
	if err := p.Foreign(ctx, u); err != nil {
		return nil, nil, err
	}
	return p, u, nil
}
