package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/run"
)

// superviseOptions are the flags of the hidden `berth supervise`.
type superviseOptions struct{}

func (a *app) newSuperviseCmd() *cobra.Command {
	var o superviseOptions
	return &cobra.Command{
		Use:    "supervise",
		Short:  "Keep a stack's containers running (started by up -d)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(c *cobra.Command, args []string) error { return a.runSupervise(o) },
	}
}

// runSupervise runs until `berth down` says quit or SIGTERM. It does not
// compile the folder: it restarts exactly the units `up` recorded.
func (a *app) runSupervise(superviseOptions) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, err := a.openProject(ctx, false)
	if err != nil {
		return err
	}
	p.Exec.Progress = nil
	sup := &run.Supervisor{P: p, Clock: run.RealClock{}, Log: a.stderr}
	if err := sup.Reload(ctx); err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	go sup.Run(ctx)
	return sup.Serve(ctx, p.Store.SocketPath(), stop)
}
