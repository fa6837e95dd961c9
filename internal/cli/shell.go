package cli

import (
	"github.com/spf13/cobra"
)

// shellOptions are the flags of `berth shell`.
type shellOptions struct {
	shell string
}

func (a *app) newShellCmd() *cobra.Command {
	var o shellOptions
	cmd := &cobra.Command{
		Use:   "shell SERVICE",
		Short: "Open an interactive shell in a service's container",
		Args:  cobra.ExactArgs(1),
		RunE:  func(c *cobra.Command, args []string) error { return a.runShell(o, args[0]) },
	}
	cmd.Flags().StringVar(&o.shell, "shell", "/bin/sh", "the shell `PATH` inside the container")
	return cmd
}

func (a *app) runShell(o shellOptions, service string) error {
	return a.runExec(execOptions{}, service, []string{o.shell})
}
