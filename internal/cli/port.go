package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
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
