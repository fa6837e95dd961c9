package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/unitfile"
)

// runOptions are the flags of `berth run`, docker compose run's.
type runOptions struct {
	rm           bool
	detach       bool
	noTTY        bool
	noDeps       bool
	servicePorts bool
	name         string
	entrypoint   string
	user         string
	workdir      string
	env          []string
	publish      []string
}

func (a *app) newRunCmd() *cobra.Command {
	var o runOptions
	cmd := &cobra.Command{
		Use:   "run [--rm] [-e NAME=VALUE] [--entrypoint CMD] SERVICE [COMMAND [ARG...]]",
		Short: "Run a one-off container with a service's settings; its exit status is berth's",
		Long: "run starts the service's dependencies (not with --no-deps), then a new container\n" +
			"from the service's compiled podman run line, attached, with COMMAND instead of\n" +
			"the service's command, under its own name (<project>-<service>-run-<id>), without\n" +
			"the service's published ports (--service-ports keeps them). berth exits with the\n" +
			"container's status. Works for compose projects and quadlet stacks alike.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.runRun(c.Context(), o, args[0], args[1:]) },
	}
	f := cmd.Flags()
	f.SetInterspersed(false) // flags after SERVICE belong to COMMAND
	f.BoolVar(&o.rm, "rm", false, "remove the container when it exits")
	f.BoolVarP(&o.detach, "detach", "d", false, "start the container in the background and print its name")
	f.BoolVarP(&o.noTTY, "no-TTY", "T", false, "do not allocate a terminal (default: one when berth has one)")
	f.BoolVar(&o.noDeps, "no-deps", false, "do not start the services it depends on")
	f.BoolVar(&o.servicePorts, "service-ports", false, "publish the service's ports")
	f.StringVar(&o.name, "name", "", "container `NAME` (default <project>-<service>-run-<id>)")
	f.StringVar(&o.entrypoint, "entrypoint", "", "override the image's entrypoint with `CMD`")
	f.StringVarP(&o.user, "user", "u", "", "run as `USER`")
	f.StringVarP(&o.workdir, "workdir", "w", "", "working `DIR` in the container")
	f.StringArrayVarP(&o.env, "env", "e", nil, "set `NAME=VALUE` in the container")
	f.StringArrayVar(&o.publish, "publish", nil, "publish a `PORT` (host:container); -p is berth's project flag")
	return cmd
}

func (a *app) runRun(parent context.Context, o runOptions, service string, command []string) error {
	ctx, cancel := stopSignals()
	defer cancel()
	a.compose.enable = []string{service}
	p, err := a.openProject(ctx, true)
	if err != nil {
		return err
	}
	u, err := serviceContainer(p, service)
	if err != nil {
		return err
	}
	if err := a.startDeps(ctx, p, u, o.noDeps); err != nil {
		return err
	}
	if o.name == "" {
		id := make([]byte, 6)
		_, _ = rand.Read(id)
		o.name = p.Stack.Project + "-" + u.Service + "-run-" + hex.EncodeToString(id)
	}
	one, err := a.oneOffUnit(ctx, p, u, o, command)
	if err != nil {
		return err
	}
	tty := !o.noTTY && !o.detach && isTTY(os.Stdin) && isTTY(os.Stdout)
	code, err := p.Exec.RunOneOff(ctx, one, run.OneOff{Name: o.name, Remove: o.rm, Detach: o.detach, TTY: tty,
		Stdin: os.Stdin, Stdout: a.stdout, Stderr: a.stderr})
	if err != nil {
		return err
	}
	if o.detach && code == 0 {
		fmt.Fprintln(a.stdout, o.name)
	}
	return exitWith(code)
}

// startDeps starts what the service requires: its networks and volumes
// always, the services it depends on unless noDeps.
func (a *app) startDeps(ctx context.Context, p *run.Project, u *run.Unit, noDeps bool) error {
	var want []*run.Unit
	for _, name := range u.Svc.Requirements() {
		d := p.Stack.Unit(name)
		if d == nil || noDeps && d.Kind == run.KindContainer {
			continue
		}
		want = append(want, d)
	}
	if len(want) == 0 {
		return nil
	}
	_, outs, err := p.Up(ctx, want)
	if err != nil {
		return err
	}
	if err := a.reportOutcomes(outs); err != nil {
		return err
	}
	for _, d := range want {
		if d.Kind == run.KindContainer {
			if err := a.ensureSupervisor(ctx, p, "", 0); err != nil {
				fmt.Fprintf(a.stderr, "%s: warning: %v; dependencies will not be restarted\n", programName, err)
			}
			break
		}
	}
	return nil
}

// oneOffUnit compiles the service's quadlet unit again with the one-off's
// settings, so that the one-off container is what the compiler makes of
// them (escaping, version gating), not a hand-edited command line.
func (a *app) oneOffUnit(ctx context.Context, p *run.Project, u *run.Unit, o runOptions, command []string) (*run.Unit, error) {
	units, err := a.quadletUnits(p)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, su := range p.Stack.Units {
		names[su.Source] = su.Service
	}
	var found bool
	for i, q := range units {
		if q.Name != u.Source {
			continue
		}
		f, ds := unitfile.Parse(q.Name, []byte(q.File.String()))
		if f == nil || ds.HasErrors() {
			return nil, &diagsError{diags: ds, base: p.Stack.Dir}
		}
		editOneOff(f, o, command)
		units[i], found = &quadlet.Unit{Name: q.Name, File: f}, true
	}
	if !found {
		return nil, fmt.Errorf("%s: its quadlet file is gone", u.Source)
	}
	target := a.global.target
	if !a.global.explicit {
		if target, err = p.Podman.Version(ctx); err != nil {
			return nil, err
		}
	}
	st, diags, err := run.CompileStack(p.Stack.Dir, p.Stack.Project, units, target, p.Exec.Host, names)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, &diagsError{diags: diags, base: p.Stack.Dir}
	}
	return st.Unit(u.Source), nil
}

// quadletUnits are the stack's quadlet units before compiling: the
// folder's files, or the compose project converted in memory.
func (a *app) quadletUnits(p *run.Project) ([]*quadlet.Unit, error) {
	cp := a.compose.project
	if cp == nil {
		units, diags := quadlet.Load([]string{p.Stack.Dir})
		if diags.HasErrors() {
			return nil, &diagsError{diags: diags, base: p.Stack.Dir}
		}
		return units, nil
	}
	units, _, err := compose.ToUnits(cp, compose.Options{Target: a.global.target, InlineDir: inlineDir(cp, p.Exec.Host)})
	return units, err
}

// editOneOff applies run's flags to a [Container] section.
func editOneOff(f *unitfile.File, o runOptions, command []string) {
	const g = "Container"
	f.Unset(g, "ContainerName") // RunOneOff names the container
	f.Add(g, "ContainerName", "oneoff")
	if len(command) > 0 {
		f.Unset(g, "Exec")
		f.Add(g, "Exec", unitfile.JoinArgs(sd.EscapeAll(command)))
	}
	if o.entrypoint != "" {
		f.Unset(g, "Entrypoint")
		f.Add(g, "Entrypoint", sd.Escape(o.entrypoint))
	}
	if o.user != "" {
		f.Unset(g, "User")
		f.Add(g, "User", sd.Escape(o.user))
	}
	if o.workdir != "" {
		f.Unset(g, "WorkingDir")
		f.Add(g, "WorkingDir", sd.Escape(o.workdir))
	}
	for _, e := range o.env {
		if !strings.Contains(e, "=") {
			if v, ok := os.LookupEnv(e); ok {
				e += "=" + v
			}
		}
		f.Add(g, "Environment", unitfile.JoinArgs([]string{sd.Escape(e)}))
	}
	if !o.servicePorts {
		f.Unset(g, "PublishPort")
	}
	for _, pub := range o.publish {
		f.Add(g, "PublishPort", sd.Escape(pub))
	}
}
