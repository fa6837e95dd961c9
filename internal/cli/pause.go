package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

// newPauseCmd makes `pause` (verb "pause") or `unpause` (verb "unpause").
func (a *app) newPauseCmd(verb string) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " [SERVICE...]",
		Short: map[string]string{"pause": "Pause", "unpause": "Unpause"}[verb] + " services' running containers (their processes are frozen, not stopped)",
		RunE:  func(c *cobra.Command, args []string) error { return a.runPause(verb, args) },
	}
}

func (a *app) runPause(verb string, args []string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	from := "running"
	if verb == "unpause" {
		from = "paused"
	}
	running, err := containersIn(ctx, p, units, from)
	if err != nil {
		return err
	}
	for _, u := range running {
		if _, err := p.Podman.Output(ctx, verb, u.Resource); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%-14s %sd\n", u.Service, verb)
	}
	return nil
}
