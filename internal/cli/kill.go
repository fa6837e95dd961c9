package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
)

// killOptions are the flags of `berth kill`.
type killOptions struct {
	signal string
}

func (a *app) newKillCmd() *cobra.Command {
	var o killOptions
	cmd := &cobra.Command{
		Use:   "kill [-s SIGNAL] [SERVICE...]",
		Short: "Send a signal to services' containers (SIGKILL by default); their restart policy then applies",
		RunE:  func(c *cobra.Command, args []string) error { return a.runKill(c.Context(), o, args) },
	}
	cmd.Flags().StringVarP(&o.signal, "signal", "s", "SIGKILL", "`SIGNAL` to send")
	return cmd
}

func (a *app) runKill(ctx context.Context, o killOptions, args []string) error {
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	// Running ones only, and never another project's container of that name.
	running, err := containersWhere(ctx, p, units, func(c *podman.State) bool { return c.Running })
	if err != nil {
		return err
	}
	var errs []string
	for _, u := range running {
		n := u.Resource
		if _, err := p.Podman.Output(ctx, "kill", "--signal", o.signal, n); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		fmt.Fprintf(a.stderr, "%-14s killed (%s)\n", n, o.signal)
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}
