package cli

import (
	"context"

	"github.com/spf13/cobra"
)

// startOptions are the flags of `berth start`.
type startOptions struct{}

func (a *app) newStartCmd() *cobra.Command {
	var o startOptions
	return &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start services (and what they need) in the background; through systemd when installed",
		RunE:  func(c *cobra.Command, args []string) error { return a.runStart(c.Context(), o, args) },
	}
}

// runStart is systemctl start for an installed stack, else up -d for the
// named services.
func (a *app) runStart(ctx context.Context, _ startOptions, args []string) error {
	st, ok, err := a.systemdStack()
	if err != nil {
		return err
	}
	if !ok {
		return a.runUp(ctx, upOptions{detach: true}, args)
	}
	units, err := selectUnits(st, args)
	if err != nil {
		return err
	}
	ctx, cancel := a.signalContext(ctx)
	defer cancel()
	return st.Start(ctx, 0, units...)
}
