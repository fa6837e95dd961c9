package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/systemd"
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
	if installed, err := a.systemdVerb(ctx, args, (*systemd.Stack).Stop, "stopped"); installed || err != nil {
		return err
	}
	p, outs, err := a.stopServices(ctx, args)
	if err != nil {
		return err
	}
	notifySupervisor(p)
	return a.reportOutcomes(outs)
}

// stopServices stops the services args name (all when none), and those
// that depend on them, with the executor; stop and restart share it.
func (a *app) stopServices(ctx context.Context, args []string) (*run.Project, []*run.Outcome, error) {
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return nil, nil, err
	}
	outs, err := p.Stop(ctx, units)
	return p, outs, err
}
