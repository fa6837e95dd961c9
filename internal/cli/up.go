package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/run"
)

// upOptions are the flags of `berth up`.
type upOptions struct {
	detach      bool
	dryRun      bool
	metricsAddr string // for the supervisor -d starts; "" is its default
	statsEvery  time.Duration
}

func (a *app) newUpCmd() *cobra.Command {
	var o upOptions
	cmd := &cobra.Command{
		Use:   "up [-d] [SERVICE...]",
		Short: "Create and start the stack's services in dependency order",
		Long: "up compiles the stack's quadlet files for the installed podman and runs the\n" +
			"compiled units without systemd: networks and volumes first, each container once\n" +
			"its dependencies are ready (healthy, with Notify=healthy). Running services whose\n" +
			"compiled unit is unchanged are left alone; changed ones are recreated with their\n" +
			"dependants. With -d berth returns and a supervisor keeps the containers running\n" +
			"(restarts, health checks); without it berth streams the logs and stops the stack\n" +
			"on Ctrl-C.",
		RunE: func(c *cobra.Command, args []string) error { return a.runUp(c.Context(), o, args) },
	}
	cmd.Flags().BoolVarP(&o.detach, "detach", "d", false, "start in the background and return")
	cmd.Flags().BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	addMetricsFlag(cmd, &o.metricsAddr)
	addStatsFlag(cmd, &o.statsEvery)
	return cmd
}

func (a *app) runUp(parent context.Context, o upOptions, args []string) (err error) {
	ctx, cancel := a.signalContext(parent)
	defer cancel()
	t0 := time.Now()
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	ctx, end := observe.StartCommand(ctx, "up", p.Stack.Project)
	defer func() { end(err) }()
	want, err := p.Stack.Resolve(args)
	if err != nil {
		return &usageError{err: err}
	}
	if o.dryRun {
		plan, _, err := p.PlanUp(ctx, want)
		if err != nil {
			return err
		}
		fmt.Fprint(a.stdout, plan.String())
		fmt.Fprintln(a.stdout, plan.Summary())
		return nil
	}
	release, owner, err := a.upOwner(p, o.detach)
	if err != nil {
		return err
	}
	if release != nil {
		defer release()
	}
	_, outs, err := p.Up(ctx, want)
	if err != nil {
		return err
	}
	if owner.Alive && !o.detach { // a detached supervisor owns the stack
		notifySupervisor(p)
		failed := a.reportOutcomes(outs)
		end(failed)
		end = func(error) {}
		a.handedOff(ctx, p, owner)
		return failed
	}
	if ctx.Err() != nil { // Ctrl-C or SIGTERM while starting: undo, quietly
		fmt.Fprintln(a.stderr, "interrupted: stopping...")
		a.stopAll(p)
		return errSilent{errors.New("interrupted")}
	}
	failed := a.reportOutcomes(outs)
	if o.detach {
		if err := a.ensureSupervisor(ctx, p, o.metricsAddr, o.statsEvery); err != nil {
			fmt.Fprintf(a.stderr, "berth: warning: %v; containers will not be restarted\n", err)
		}
		if failed == nil {
			fmt.Fprintf(a.stderr, "%s is up (%s)\n", p.Stack.Project, elapsed(t0))
		}
		return failed
	}
	if failed != nil || ctx.Err() != nil {
		a.stopAll(p)
		return failed
	}
	// The span is the start; a foreground session can last for days.
	end(nil)
	end = func(error) {}
	return a.foreground(ctx, p)
}

// foreground streams the logs and supervises in this process until Ctrl-C
// or SIGTERM, then stops every service.
func (a *app) foreground(ctx context.Context, p *run.Project) error {
	sup := &run.Supervisor{P: p, Clock: run.RealClock{}, Log: a.stderr}
	if err := sup.Reload(ctx); err != nil {
		return err
	}
	go sup.Run(ctx)
	go func() { _ = sup.Serve(ctx, p.Store.SocketPath(), func() {}) }()
	go a.streamLogs(ctx, p, containerServices(p), logsOptions{follow: true, tail: 0})
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "stopping...")
	a.stopAll(p)
	return nil
}

func (a *app) stopAll(p *run.Project) {
	defer a.cleaningUp()()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	outs, err := p.Stop(ctx, nil)
	if err != nil {
		fmt.Fprintf(a.stderr, "berth: %v\n", err)
	}
	_ = a.reportOutcomes(outs)
}

// ensureSupervisor makes sure a supervisor runs for the project and has read
// the new state: it asks the running one to reload, or starts one detached
// (its own session, output to supervisor.log next to the state).
func (a *app) ensureSupervisor(ctx context.Context, p *run.Project, metricsAddr string, statsEvery time.Duration) error {
	sock := p.Store.SocketPath()
	if _, err := run.Ask(sock, "reload"); err == nil {
		a.checkMetricsAddr(sock, metricsAddr)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	logf, err := os.OpenFile(filepath.Join(p.Store.Dir, "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"-C", p.Stack.Dir, "-p", p.Stack.Project}
	if a.global.podmanVersion != "" {
		args = append(args, "--podman-version", a.global.podmanVersion)
	}
	args = append(args, "supervise")
	if metricsAddr != "" {
		args = append(args, "--metrics-addr", metricsAddr)
	}
	if statsEvery != 0 {
		args = append(args, "--stats-interval", statsEvery.String())
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), traceEnv(ctx)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Dir = "/"
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the supervisor: %w", err)
	}
	_ = cmd.Process.Release()
	for i := 0; i < 100; i++ {
		if _, err := run.Ask(sock, "status"); err == nil {
			a.checkMetricsAddr(sock, metricsAddr)
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the supervisor did not answer on %s (see %s)", sock, logf.Name())
}

// checkMetricsAddr warns when the supervisor serves its metrics elsewhere
// than asked: the port was taken, or a supervisor started earlier with
// another --metrics-addr keeps its address until `berth down`.
func (a *app) checkMetricsAddr(sock, want string) {
	if want == "" {
		want = observe.DefaultMetricsAddr
	}
	resp, err := run.Ask(sock, "status")
	switch {
	case err != nil || want == "off" && resp.Metrics == "":
	case resp.Metrics == "":
		fmt.Fprintf(a.stderr, "%s: warning: the supervisor serves no metrics (see supervisor.log)\n", programName)
	case resp.Metrics != want && !strings.HasSuffix(want, ":0"):
		fmt.Fprintf(a.stderr, "%s: metrics at http://%s/metrics (not %s: taken, or the supervisor of an earlier up serves them)\n",
			programName, resp.Metrics, want)
	}
}
