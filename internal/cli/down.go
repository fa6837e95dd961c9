package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/run"
)

// downOptions are the flags of `berth down`.
type downOptions struct {
	volumes bool
}

func (a *app) newDownCmd() *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down [--volumes]",
		Short: "Stop and remove the stack's containers and networks",
		Long: "down stops the supervisor, then stops the services in reverse dependency order\n" +
			"and removes the stack's containers and networks. Volumes and their data are kept\n" +
			"unless --volumes is given. So are the podman secrets berth created from a compose\n" +
			"project's secrets (files or environment variables; labelled io.berth.project):\n" +
			"--volumes removes them too, as it removes everything the project stored, and the\n" +
			"next up creates them again from their sources. External secrets are never removed.",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error { return a.runDown(c.Context(), o) },
	}
	cmd.Flags().BoolVarP(&o.volumes, "volumes", "v", false, "remove the stack's volumes and the podman secrets berth created for it too")
	return cmd
}

func (a *app) runDown(parent context.Context, o downOptions) (err error) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	ctx, end := observe.StartCommand(ctx, "down", p.Stack.Project)
	defer func() { end(err) }()
	stopSupervisor(p)
	if err := p.Down(ctx, o.volumes); err != nil {
		return err
	}
	_ = os.RemoveAll(p.Store.Dir)
	fmt.Fprintf(a.stderr, "%s is down (%s)\n", p.Stack.Project, elapsed(t0))
	return nil
}

// stopSupervisor asks the supervisor to quit and waits until its socket is
// gone, so that it restarts nothing while the stack goes down.
func stopSupervisor(p *run.Project) {
	sock := p.Store.SocketPath()
	if _, err := run.Ask(sock, "quit"); err != nil {
		return
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); os.IsNotExist(err) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
