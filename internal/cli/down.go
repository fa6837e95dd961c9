package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/run"
)

// downOptions are the flags of `berth down`.
type downOptions struct {
	volumes       bool
	removeOrphans bool
	rmi           string // docker compose's --rmi local|all
	timeout       int
}

func (a *app) newDownCmd() *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down [--volumes] [--remove-orphans] [SERVICE...]",
		Short: "Stop and remove the stack's containers and networks",
		Long: "down stops the supervisor, then stops the services in reverse dependency order\n" +
			"and removes the stack's containers and networks. Volumes and their data are kept\n" +
			"unless --volumes is given. So are the podman secrets berth created from a compose\n" +
			"project's secrets (files or environment variables; labelled io.berth.project):\n" +
			"--volumes removes them too, as it removes everything the project stored, and the\n" +
			"next up creates them again from their sources. External secrets are never removed.\n\n" +
			"For a compose project, down removes the services of the compose files given (-f)\n" +
			"only: containers of the project that no file declares (orphans) are kept, with\n" +
			"the networks and volumes they use, unless --remove-orphans is given, as docker\n" +
			"compose does. With SERVICE arguments only those services (and the services that\n" +
			"depend on them) are stopped and removed.",
		RunE: func(c *cobra.Command, args []string) error { return a.runDown(c.Context(), o, args) },
	}
	cmd.Flags().BoolVarP(&o.volumes, "volumes", "v", false, "remove the stack's volumes and the podman secrets berth created for it too")
	cmd.Flags().StringVar(&o.rmi, "rmi", "", "also remove images: `local` (those built for the project) or all (every service's)")
	cmd.Flags().IntVarP(&o.timeout, "timeout", "t", 10, "`SECONDS` podman rm waits for a container still running after its unit stopped")
	cmd.Flags().BoolVar(&o.removeOrphans, "remove-orphans", false, "also remove containers of the project whose service no compose file declares")
	return cmd
}

func (a *app) runDown(parent context.Context, o downOptions, args []string) (err error) {
	ctx, cancel := context.WithTimeout(parent, 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	p, units, err := a.openServices(ctx, args)
	if err != nil {
		return err
	}
	ctx = observe.WithMasker(ctx, p.Podman.Mask)
	ctx, end := observe.StartCommand(ctx, "down", p.Stack.Project)
	defer func() { end(err) }()
	// The lock covers stopping the supervisor, the containers and removing
	// the state: an up running now finishes first (its supervisor started),
	// and one started now waits, then starts afresh.
	unlock, err := p.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	stopSupervisor(p)
	// A quadlet stack is its folder: containers of units no longer in it
	// are removed too. A compose project may be split over files.
	orphans := o.removeOrphans || a.compose.project == nil
	res, err := p.DownWith(ctx, run.DownOptions{Volumes: o.volumes, RemoveOrphans: orphans, Services: units, Timeout: o.timeout})
	if len(res.Orphans) > 0 {
		fmt.Fprintf(a.stderr, "%s: warning: found orphan containers (%s) for this project; if you removed or renamed "+
			"their service in the compose file, run down --remove-orphans to remove them\n", programName, strings.Join(res.Orphans, ", "))
	}
	if err != nil {
		return err
	}
	if res.Remaining {
		// What is left keeps running under a supervisor.
		if err := a.ensureSupervisor(ctx, p, "", 0); err != nil {
			fmt.Fprintf(a.stderr, "%s: warning: %v; the remaining containers will not be restarted\n", programName, err)
		}
		fmt.Fprintf(a.stderr, "%s: removed %s (%s)\n", p.Stack.Project, strings.Join(downNames(units, p), ", "), elapsed(t0))
		return nil
	}
	_ = os.RemoveAll(p.Store.Dir)
	if err := a.removeImages(ctx, p, o.rmi); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "%s is down (%s)\n", p.Stack.Project, elapsed(t0))
	return nil
}

// downNames names what a down removed: the services asked for, else all.
func downNames(units []*run.Unit, p *run.Project) []string {
	var out []string
	for _, u := range units {
		out = append(out, u.Service)
	}
	if len(out) == 0 {
		out = containerServices(p)
	}
	return out
}

// stopSupervisor asks the detached supervisor to quit and waits until its
// process is gone (its claim on supervisor.pid is released), so that it
// restarts nothing while the stack goes down and outlives nothing. One that
// does not answer, or does not end within 5 s, gets SIGTERM, then SIGKILL.
// A foreground up is asked the same and left to end itself (it stops
// nothing then: down stops its containers), but down waits for it to be gone
// too, up to 5 s, so that it writes no state after down removed it.
func stopSupervisor(p *run.Project) {
	_, askErr := run.Ask(p.Store.SocketPath(), "quit")
	o, err := p.Store.Owner()
	if err != nil || !o.Alive {
		return
	}
	if o.Foreground {
		// A foreground up unlocks the project just before it starts
		// answering on its socket; down, holding the lock now, may have
		// asked in between (a loaded host widens that gap): ask again
		// until it answers.
		for i := 0; i < 100; i++ {
			if now, err := p.Store.Owner(); err != nil || !now.Alive {
				return
			}
			if errors.Is(askErr, run.ErrNoSupervisor) {
				_, askErr = run.Ask(p.Store.SocketPath(), "quit")
			}
			time.Sleep(50 * time.Millisecond)
		}
		return
	}
	for _, sig := range []syscall.Signal{0, syscall.SIGTERM, syscall.SIGKILL} {
		if sig != 0 {
			_ = syscall.Kill(o.PID, sig)
		}
		for i := 0; i < 100; i++ {
			if now, err := p.Store.Owner(); err != nil || !now.Alive {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// removeImages is down --rmi: local removes the images the project built
// (.build units), all every image its containers ran.
func (a *app) removeImages(ctx context.Context, p *run.Project, rmi string) error {
	var images []string
	switch rmi {
	case "":
		return nil
	case "local", "all":
		for _, u := range p.Stack.Units {
			if u.Kind == run.KindBuild && u.Resource != "" {
				images = append(images, u.Resource)
			}
			if rmi == "all" && u.Kind == run.KindContainer {
				if img := imageOf(u); img != "" {
					images = append(images, img)
				}
			}
		}
	default:
		return &usageError{err: fmt.Errorf("--rmi %q: want local or all", rmi)}
	}
	for _, img := range images {
		if _, err := p.Podman.Output(ctx, "image", "rm", "--ignore", img); err != nil {
			fmt.Fprintf(a.stderr, "%s: warning: %v\n", programName, err)
			continue
		}
		fmt.Fprintf(a.stderr, "%-14s image removed\n", img)
	}
	return nil
}
