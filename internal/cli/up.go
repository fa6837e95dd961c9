package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
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
	// docker compose's attached-mode flags (foreground only)
	removeOrphans  bool
	wait           bool
	waitTimeout    time.Duration
	flags          run.UpFlags
	noAttach       []string
	build          bool
	abortOnExit    bool
	abortOnFailure bool
	exitCodeFrom   string
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
	cmd.Flags().StringArrayVar(&a.compose.scale, "scale", nil, "run `SERVICE=N` containers of a compose service (overrides scale:)")
	cmd.Flags().BoolVar(&o.wait, "wait", false, "wait until the services are running and healthy (or done); implies -d")
	cmd.Flags().DurationVar(&o.waitTimeout, "wait-timeout", 0, "give up --wait after `DURATION` (default: no limit)")
	cmd.Flags().BoolVar(&o.flags.ForceRecreate, "force-recreate", false, "recreate containers even if unchanged")
	cmd.Flags().BoolVar(&o.flags.NoRecreate, "no-recreate", false, "keep running containers even if changed")
	cmd.Flags().BoolVar(&o.flags.AlwaysRecreateDeps, "always-recreate-deps", false, "also recreate the containers a recreated container depends on")
	cmd.Flags().BoolVar(&o.flags.NoDeps, "no-deps", false, "do not start the containers the services need")
	cmd.Flags().BoolVar(&o.removeOrphans, "remove-orphans", false, "remove containers of the project whose service no compose file declares")
	cmd.Flags().BoolVar(&o.build, "build", false, "build the images first (the .build units), and recreate the containers whose image changed")
	cmd.Flags().StringArrayVar(&o.noAttach, "no-attach", nil, "do not stream the logs of `SERVICE` (foreground up)")
	cmd.Flags().BoolVar(&o.abortOnExit, "abort-on-container-exit", false, "stop every container when one exits (not with -d)")
	cmd.Flags().BoolVar(&o.abortOnFailure, "abort-on-container-failure", false, "stop every container when one exits with a non-zero status (not with -d)")
	cmd.Flags().StringVar(&o.exitCodeFrom, "exit-code-from", "", "exit with the status of `SERVICE`'s container; implies --abort-on-container-exit")
	addMetricsFlag(cmd, &o.metricsAddr)
	addStatsFlag(cmd, &o.statsEvery)
	return cmd
}

func (a *app) runUp(parent context.Context, o upOptions, args []string) error {
	return a.upWith(parent, nil, o, args)
}

// upWith runs up on p, a project the caller opened and locked (restart), or
// when p is nil on the folder's project.
func (a *app) upWith(parent context.Context, p *run.Project, o upOptions, args []string) (err error) {
	ctx, cancel := a.signalContext(parent)
	defer cancel()
	t0 := time.Now()
	a.compose.enable = args
	if p == nil {
		if p, err = a.openProject(ctx, true); err != nil {
			return err
		}
	}
	ctx = observe.WithMasker(ctx, p.Podman.Mask)
	ctx, end := observe.StartCommand(ctx, "up", p.Stack.Project)
	defer func() { end(err) }()
	want, err := p.Stack.Resolve(args)
	if err != nil {
		return &usageError{err: err}
	}
	if err := a.applyUpFlags(ctx, p, &o, want); err != nil {
		return err
	}
	unlock := func() {}
	if !o.dryRun {
		// One lock serialises up, down, stop, restart and the supervisor's
		// start: held until the supervisor has read the new state, so that
		// a down waits for it and then stops it.
		if unlock, err = p.Lock(); err != nil {
			return err
		}
		defer unlock()
	}
	if a.compose.project != nil && !o.dryRun {
		if err := a.orphans(ctx, p, o.removeOrphans); err != nil {
			return err
		}
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
		unlock()
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
		unlock() // the supervisor runs: waiting must not hold up its restarts
		if failed == nil && o.wait {
			failed = a.waitReady(ctx, p, outs, o.waitTimeout)
		}
		if failed == nil {
			fmt.Fprintf(a.stderr, "%s is up (%s)\n", p.Stack.Project, elapsed(t0))
		}
		return failed
	}
	if failed != nil || ctx.Err() != nil {
		a.stopAll(p)
		if code, ok := exitedAtStart(outs, o.exitCodeFrom); ok {
			return &exitCodeError{code: code}
		}
		return failed
	}
	// The span is the start; a foreground session can last for days. Its
	// supervisor takes the lock for each restart; Ctrl-C's stop takes it.
	end(nil)
	end = func(error) {}
	unlock()
	return a.foreground(ctx, p, o, outs)
}

// applyUpFlags checks up's docker compose flags and applies those that act
// before planning: --wait implies -d, the recreate switches adjust the
// plan, --build builds first.
func (a *app) applyUpFlags(ctx context.Context, p *run.Project, o *upOptions, want []*run.Unit) (err error) {
	if o.wait {
		o.detach = true
	}
	if err := o.check(p.Stack); err != nil {
		return err
	}
	p.UpFlags = o.flags
	if o.build && !o.dryRun {
		p.UpFlags.Recreate, err = a.rebuild(ctx, p, want)
	}
	return err
}

// orphans warns of the project's containers that no compose file declares,
// or removes them, as docker compose's up does.
func (a *app) orphans(ctx context.Context, p *run.Project, remove bool) error {
	surplus, err := p.Surplus(ctx)
	if err != nil {
		return err
	}
	if len(surplus) > 0 {
		if err := p.RemoveOrphans(ctx, surplus); err != nil {
			return err
		}
	}
	names, err := p.Orphans(ctx)
	if err != nil || len(names) == 0 {
		return err
	}
	if remove {
		return p.RemoveOrphans(ctx, names)
	}
	fmt.Fprintf(a.stderr, "%s: warning: found orphan containers (%s) for this project; if you removed or renamed "+
		"their service in the compose file, run up --remove-orphans to remove them\n", programName, strings.Join(names, ", "))
	return nil
}

// check refuses flag combinations docker compose refuses too.
func (o upOptions) check(st *run.Stack) error {
	if (o.flags.ForceRecreate || o.flags.AlwaysRecreateDeps) && o.flags.NoRecreate {
		return &usageError{err: errors.New("--force-recreate and --always-recreate-deps cannot be combined with --no-recreate")}
	}
	if o.detach && (o.abortOnExit || o.abortOnFailure || o.exitCodeFrom != "") {
		return &usageError{err: errors.New("--abort-on-container-exit, --abort-on-container-failure and --exit-code-from need an attached up, not -d")}
	}
	if o.exitCodeFrom != "" {
		if u := st.Unit(o.exitCodeFrom); u == nil || u.Kind != run.KindContainer {
			return &usageError{err: fmt.Errorf("--exit-code-from: no service %q in this stack (services: %s)",
				o.exitCodeFrom, strings.Join(st.ServiceNames(), ", "))}
		}
	}
	return nil
}

// exitedAtStart is the exit code of service's container when it failed its
// start by exiting (--exit-code-from passes it through).
func exitedAtStart(outs []*run.Outcome, service string) (int, bool) {
	for _, o := range outs {
		var se *run.StartError
		if service != "" && o.Step.Unit.Service == service && errors.As(o.Err, &se) && se.Exited {
			return se.Code, true
		}
	}
	return 0, false
}

// foreground streams the logs and supervises in this process until Ctrl-C
// or SIGTERM, then stops every service; or, as docker compose's attached
// up, until every container has exited for good (one-shot jobs), leaving
// the ended containers and their logs until down. With
// --abort-on-container-exit (or --exit-code-from) the first exit stops the
// rest, with --abort-on-container-failure the first non-zero one.
func (a *app) foreground(ctx context.Context, p *run.Project, o upOptions, outs []*run.Outcome) error {
	attached := map[string]bool{}
	for _, o := range outs {
		attached[o.Step.Unit.Service] = true
	}
	exits := make(chan containerExit, 64)
	sup := &run.Supervisor{P: p, Clock: run.RealClock{}, Log: a.stderr,
		OnExit: func(service string, code int, known bool) {
			if !attached[service] {
				return
			}
			select {
			case exits <- containerExit{service, code, known}:
			default:
			}
		}}
	// `berth down` elsewhere asks the supervisor to quit: the session then
	// ends without stopping anything (down stops and removes it all, and
	// its state), so that down leaves no supervising process behind.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var downed atomic.Bool
	quit := func() { downed.Store(true); cancel() }
	if err := sup.Reload(ctx); err != nil {
		return err
	}
	go sup.Run(ctx)
	go func() { _ = sup.Serve(ctx, p.Store.SocketPath(), quit) }()
	lctx, stopLogs := context.WithCancel(ctx)
	defer stopLogs()
	logsDone := make(chan struct{})
	go func() {
		defer close(logsDone)
		a.streamLogs(lctx, p, attachedServices(p, attached, setOf(o.noAttach)), logsOptions{follow: true, tail: 0, whole: startedBy(outs)})
	}()
	code, abort := 0, o.abortOnExit || o.exitCodeFrom != ""
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		// Once ended (Ctrl-C, SIGTERM, berth down) nothing else counts: a
		// select with several cases ready picks one at random, and down
		// removing the containers makes them look exited and settled.
		select {
		case <-ctx.Done():
		case e := <-exits:
			if ctx.Err() != nil {
				break
			}
			fmt.Fprintf(a.stderr, "%-14s exited with code %s\n", e.service, exitText(e))
			if o.exitCodeFrom == e.service || o.exitCodeFrom == "" && (abort || o.abortOnFailure && e.code != 0) {
				code = e.code
			}
			if abort || o.abortOnFailure && e.known && e.code != 0 {
				fmt.Fprintln(a.stderr, "aborting on container exit: stopping...")
				a.stopAll(p)
				a.awaitLogs(logsDone, stopLogs)
				return exitWith(code)
			}
			continue
		case <-tick.C:
			if ctx.Err() != nil {
				break
			}
			if !sup.Settled(attached) || len(exits) > 0 {
				continue
			}
			a.awaitLogs(logsDone, stopLogs)
			return exitWith(code)
		}
		if downed.Load() {
			fmt.Fprintf(a.stderr, "%s is being taken down (berth down): leaving\n", p.Stack.Project)
			return nil
		}
		fmt.Fprintln(a.stderr, "stopping...")
		a.stopAll(p)
		return nil
	}
}

// attachedServices are the stack's containers among services, in stack order.
func attachedServices(p *run.Project, services, noAttach map[string]bool) []string {
	var out []string
	for _, s := range containerServices(p) {
		if services[s] && !noAttach[s] {
			out = append(out, s)
		}
	}
	return out
}

// startedBy lists the services an up started or recreated.
func startedBy(outs []*run.Outcome) map[string]bool {
	m := map[string]bool{}
	for _, o := range outs {
		if o.Step.Action != run.ActKeep {
			m[o.Step.Unit.Service] = true
		}
	}
	return m
}

// containerExit is one exit the supervisor saw.
type containerExit struct {
	service string
	code    int
	known   bool
}

func exitText(e containerExit) string {
	if !e.known {
		return "unknown"
	}
	return strconv.Itoa(e.code)
}

// awaitLogs gives the log streams a moment to print the last lines of
// containers that ended, then stops them.
func (a *app) awaitLogs(done <-chan struct{}, stop func()) {
	select {
	case <-done:
	case <-time.After(3 * time.Second):
	}
	stop()
	<-done
}

// exitWith is nil for 0, else the exit code to end berth with.
func exitWith(code int) error {
	if code == 0 {
		return nil
	}
	return &exitCodeError{code: code}
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
	// A supervisor that holds its claim but does not answer yet (it is
	// starting) is asked again, never doubled.
	if o, err := p.Store.Owner(); err == nil && o.Alive && !o.Foreground {
		for i := 0; i < 100; i++ {
			if _, err := run.Ask(sock, "reload"); err == nil {
				return nil
			}
			time.Sleep(50 * time.Millisecond)
		}
		return fmt.Errorf("%s does not answer on %s", o, sock)
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

func setOf(names []string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// rebuild is up --build: it runs the .build units the services use and
// returns the containers whose image changed, to be recreated.
func (a *app) rebuild(ctx context.Context, p *run.Project, want []*run.Unit) (map[string]bool, error) {
	builds := buildUnits(p.Stack, want)
	before := map[string]string{}
	for _, b := range builds {
		before[b.Name] = a.imageID(ctx, p, b.Resource)
	}
	if err := a.runBuilds(ctx, p, builds); err != nil {
		return nil, err
	}
	recreate := map[string]bool{}
	for _, b := range builds {
		if id := a.imageID(ctx, p, b.Resource); id == before[b.Name] {
			continue
		}
		for _, u := range p.Stack.Units {
			if u.Kind == run.KindContainer && slices.Contains(u.Svc.PullsIn(), b.Name) {
				recreate[u.Name] = true
			}
		}
	}
	return recreate, nil
}

// imageID is the ID of an image, "" when it does not exist.
func (a *app) imageID(ctx context.Context, p *run.Project, image string) string {
	out, err := p.Podman.Output(ctx, "image", "inspect", "--format", "{{.Id}}", image)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
