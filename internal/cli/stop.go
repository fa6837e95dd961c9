package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

// stopOptions are the flags of `berth stop`.
type stopOptions struct{}

func (a *app) newStopCmd() *cobra.Command {
	var o stopOptions
	return &cobra.Command{
		Use:   "stop [SERVICE...]",
		Short: "Stop services and those that depend on them; the supervisor (or systemd) leaves them stopped",
		RunE:  func(c *cobra.Command, args []string) error { return a.runStop(o, args) },
	}
}

func (a *app) runStop(_ stopOptions, args []string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if st, ok, err := a.systemdStack(); err != nil {
		return err
	} else if ok {
		units, err := selectUnits(st, args)
		if err != nil {
			return err
		}
		if err := st.Stop(ctx, units...); err != nil {
			return err
		}
		a.printUnits(units, "stopped")
		return nil
	}
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	units, err := p.Stack.Resolve(args)
	if err != nil {
		return &usageError{err: err}
	}
	outs, err := p.Stop(ctx, units)
	if err != nil {
		return err
	}
	notifySupervisor(p)
	return a.reportOutcomes(outs)
}
