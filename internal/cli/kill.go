package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
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
	if len(units) == 0 {
		units = p.Stack.Units
	}
	var names []string
	byName := map[string]*run.Unit{}
	for _, u := range units {
		if u.Kind == run.KindContainer && u.Resource != "" {
			names = append(names, u.Resource)
			byName[u.Resource] = u
		}
	}
	running, err := p.Podman.InspectMany(ctx, names...)
	if err != nil {
		return err
	}
	var errs []string
	for _, n := range names {
		if c := running[n]; c == nil || !c.Running || !run.Own(byName[n], c) {
			continue // not running, or another project's container of that name
		}
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
