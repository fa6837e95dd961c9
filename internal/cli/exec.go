package cli

import (
	"context"
	"os"

	"github.com/spf13/cobra"
)

// execOptions are the flags of `berth exec`.
type execOptions struct {
	env []string
}

func (a *app) newExecCmd() *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec SERVICE -- CMD [ARG...]",
		Short: "Run a command in a service's container (with a terminal when berth has one)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			return a.runExec(o, args[0], args[1:])
		},
	}
	cmd.Flags().StringArrayVarP(&o.env, "env", "e", nil, "set `NAME=VALUE` in the command's environment")
	return cmd
}

func (a *app) runExec(o execOptions, service string, argv []string) error {
	ctx := context.Background()
	p, u, err := a.containerService(ctx, service)
	if err != nil {
		return err
	}
	code, err := p.Podman.Exec(ctx, u.Resource, isTTY(os.Stdin) && isTTY(os.Stdout), o.env, argv)
	if err != nil {
		return err
	}
	return exitWith(code) // the command's status is berth's
}
