package cli

import (
	"github.com/spf13/cobra"
)

// startOptions are the flags of `berth start`.
type startOptions struct{}

func (a *app) newStartCmd() *cobra.Command {
	var o startOptions
	return &cobra.Command{
		Use:   "start [SERVICE...]",
		Short: "Start services (and what they need) in the background",
		RunE:  func(c *cobra.Command, args []string) error { return a.runStart(o, args) },
	}
}

// runStart is up -d for the named services.
func (a *app) runStart(_ startOptions, args []string) error {
	return a.runUp(upOptions{detach: true}, args)
}
