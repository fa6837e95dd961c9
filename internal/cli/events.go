package cli

import (
	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
)

// eventsOptions are the flags of `berth events`.
type eventsOptions struct {
	json bool
}

func (a *app) newEventsCmd() *cobra.Command {
	var o eventsOptions
	cmd := &cobra.Command{
		Use:   "events [--json]",
		Short: "Stream podman's events for the project's containers until Ctrl-C",
		Args:  cobra.NoArgs,
		RunE:  func(c *cobra.Command, args []string) error { return a.runEvents(o) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "one JSON object a line")
	return cmd
}

func (a *app) runEvents(o eventsOptions) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	bin := p.Podman.Path
	if bin == "" {
		bin = "podman"
	}
	args := []string{bin, "events", "--filter", "label=" + run.LabelProject + "=" + p.Stack.Project}
	if o.json {
		args = append(args, "--format", "json")
	}
	_, err = p.Podman.Runner.Run(ctx, podman.Cmd{Argv: args, Stdout: a.stdout, Stderr: a.stderr})
	if ctx.Err() != nil {
		return nil // Ctrl-C ends the stream
	}
	return err
}
