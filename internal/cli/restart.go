package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/systemd"
)

// restartOptions are the flags of `berth restart`.
type restartOptions struct {
	build bool
}

func (a *app) newRestartCmd() *cobra.Command {
	var o restartOptions
	cmd := &cobra.Command{
		Use:   "restart [--build] [SERVICE...]",
		Short: "Stop and start services (through systemd when installed); with --build rebuild their .build images first",
		RunE:  func(c *cobra.Command, args []string) error { return a.runRestart(c.Context(), o, args) },
	}
	cmd.Flags().BoolVar(&o.build, "build", false, "rebuild the services' .build images first")
	return cmd
}

func (a *app) runRestart(parent context.Context, o restartOptions, args []string) error {
	if o.build {
		if err := a.runBuild(buildOptions{}, args); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(parent, 5*time.Minute)
	defer cancel()
	if installed, err := a.systemdVerb(ctx, args, (*systemd.Stack).Restart, "restarted"); installed || err != nil {
		return err
	}
	// Stop and start are one step under the project lock: a down or up
	// waits for the whole restart.
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	unlock, err := p.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	outs, err := p.Stop(ctx, units)
	if err != nil {
		return err
	}
	if err := a.reportOutcomes(outs); err != nil {
		return err
	}
	// Start again what the stop took down: dependants (Requires=, BindsTo=,
	// PartOf=) were stopped with the named services.
	again := args
	if len(args) > 0 {
		again = nil
		for _, o := range outs {
			again = append(again, o.Step.Unit.Service)
		}
	}
	return a.upWith(parent, p, upOptions{detach: true}, again)
}
