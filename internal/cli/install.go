package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/run"
	"github.com/berth-dev/berth/internal/systemd"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/version"
)

// systemdCommands are the verbs that install stacks under systemd.
func (a *app) systemdCommands() []*cobra.Command {
	return []*cobra.Command{a.newInstallCmd(), a.newUninstallCmd(), a.newListCmd(), a.newStatusCmd(),
		a.newDiffCmd(), a.newHistoryCmd(), a.newRollbackCmd()}
}

// scopeFlags are --user/--system.
type scopeFlags struct{ user, system bool }

func (s *scopeFlags) add(c *cobra.Command, what string) {
	c.Flags().BoolVar(&s.user, "user", false, what+" the user's systemd manager (rootless; default when not root)")
	c.Flags().BoolVar(&s.system, "system", false, what+" the system manager (default as root)")
	c.MarkFlagsMutuallyExclusive("user", "system")
}

// scopes are the scopes to look in: the one asked for, else the default
// one first and, for root, the user scope after it.
func (s *scopeFlags) scopes() []systemd.Scope {
	switch {
	case s.user:
		return []systemd.Scope{systemd.User}
	case s.system:
		return []systemd.Scope{systemd.System}
	case os.Getuid() == 0:
		return []systemd.Scope{systemd.System, systemd.User}
	}
	return []systemd.Scope{systemd.User}
}

type installOptions struct {
	scope   scopeFlags
	now     bool
	timeout time.Duration
	apply   applyFlags
}

// applyFlags are the flags of an apply: install, rollback.
type applyFlags struct {
	dryRun     bool
	wait       time.Duration
	rollback   bool
	keep       int
	noRollback bool // rollback itself has no --rollback-on-failure
}

func (f *applyFlags) add(c *cobra.Command) {
	c.Flags().BoolVar(&f.dryRun, "dry-run", false, "print the plan (add/change/restart/remove/keep per unit) and change nothing")
	c.Flags().DurationVar(&f.wait, "wait", 0, "wait until every started unit is active and, with a health check, healthy (--wait=TIMEOUT; default 5m)")
	c.Flags().Lookup("wait").NoOptDefVal = "5m"
	c.Flags().IntVar(&f.keep, "keep-revisions", run.DefaultKeepRevisions, "how many revisions of the stack to keep")
	if !f.noRollback {
		c.Flags().BoolVar(&f.rollback, "rollback-on-failure", false, "when a unit fails to start or (with --wait) to become healthy, go back to the previous revision")
	}
}

func (a *app) newInstallCmd() *cobra.Command {
	o := &installOptions{}
	cmd := &cobra.Command{
		Use:   "install [DIR]",
		Short: "Install a stack's quadlet files for systemd, and start it with --now",
		Long: "install validates the stack (nothing is installed if any file has an error),\n" +
			"plans against what is installed and running (add / change / restart / remove / keep\n" +
			"per unit; --dry-run prints it and stops), then stops units whose files were dropped,\n" +
			"copies its quadlet files and drop-in folders into ~/.config/containers/systemd/STACK/\n" +
			"(--user) or /etc/containers/systemd/STACK/ (--system), with relative paths made\n" +
			"absolute against DIR, makes berth the systemd generator when the host's podman has\n" +
			"no quadlet generator or one too old for the files, and runs systemctl daemon-reload.\n" +
			"It then starts new units (with --now, or when the stack runs), restarts changed ones\n" +
			"and those that need them, leaves the others running, and stops dropped units before\n" +
			"their files go. Each install is kept as a revision (berth history, berth rollback).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return a.runInstall(c.Context(), o, args) },
	}
	o.scope.add(cmd, "install for")
	cmd.Flags().BoolVar(&o.now, "now", false, "start the services and wait until they are active")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Minute, "how long --now waits for the services")
	o.apply.add(cmd)
	return cmd
}

func (a *app) runInstall(ctx context.Context, o *installOptions, args []string) (err error) {
	dir, err := a.stackDir(args)
	if err != nil {
		return err
	}
	stack := a.global.projectName(dir)
	ctx, end := observe.StartCommand(ctx, "install", stack)
	defer func() { end(err) }()
	layout, err := systemd.HostLayout(o.scope.scopes()[0])
	if err != nil {
		return err
	}
	ctx, stop := a.signalContext(ctx)
	defer stop()
	host := systemd.DetectHost(ctx, podman.New().BinaryVersion, layout)
	if a.global.explicit {
		host.Podman = a.global.target
	}
	if host.Podman.IsZero() {
		fmt.Fprintf(a.stderr, "%s: warning: podman not found; validating for podman %s (install podman before starting the stack)\n", programName, version.Latest)
	}
	exe, _ := os.Executable()
	if exe != "" {
		exe, _ = filepath.EvalSymlinks(exe)
	}
	gen, _ := generatorExecutable(exe)
	in := systemd.InstallOptions{Source: dir, Stack: stack, Layout: layout,
		Manager: systemd.NewSystemctl(layout.Scope), Host: host, Berth: gen, Timeout: o.timeout, Log: a.stdout,
		Compile: a.compileInto(host, exe, layout.Scope == systemd.User)}
	return a.apply(ctx, in, o.now, o.apply, "", nil)
}

// apply runs one apply of an installed (or new) stack through run's
// planner and prints its plan, progress and outcome.
func (a *app) apply(ctx context.Context, in systemd.InstallOptions, now bool, f applyFlags, summary string, to *run.Revision) error {
	rep, err := run.InstallStack(ctx, run.InstallOptions{Install: in, UnitHost: sd.HostFacts(in.Layout.Scope == systemd.User),
		Podman: a.podmanClient(), Now: now, DryRun: f.dryRun, Wait: f.wait, RollbackOnFailure: f.rollback,
		Keep: f.keep, Summary: summary, RollbackTo: to, Out: a.stdout})
	if rep != nil && rep.Plan != nil && f.dryRun {
		fmt.Fprint(a.stdout, rep.Plan.String())
		fmt.Fprintln(a.stdout, rep.Plan.Summary())
	}
	if rep != nil && rep.Result != nil {
		a.printInstallResult(rep.Result, in.Layout, in.Source)
		if rep.Result.Plan.UseBerth && in.Berth != "" && filepath.Base(in.Berth) != generatorName {
			fmt.Fprintf(a.stderr, "%s: warning: no %s beside %s, so berth itself is the generator (it starts ~15 ms slower at every boot and daemon-reload); build both with `go build -o %s ./cmd/...` and install again\n",
				programName, generatorName, in.Berth, filepath.Dir(in.Berth))
		}
	}
	if rep != nil && rep.Revision > 0 && err == nil {
		fmt.Fprintf(a.stdout, "stack %s is at revision %d\n", in.Stack, rep.Revision)
	}
	return err
}

// generatorName is the small generator binary (cmd/berth-generator), built
// beside berth: it runs only the generator, so it starts in about the time
// podman's own generator does.
const generatorName = "berth-generator"

// generatorExecutable is what `berth install` links as the systemd
// generator: berth-generator in berth's own folder, else berth itself,
// which runs the same generator when started under a generator's name
// (small is false then).
func generatorExecutable(berth string) (path string, small bool) {
	if berth == "" {
		return "", false
	}
	p := filepath.Join(filepath.Dir(berth), generatorName)
	if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0 {
		return p, true
	}
	return berth, false
}

// compileInto runs berth's generator over dirs into out, as `berth generate`
// does at boot for the target podman; install uses it for a --user stack
// when berth cannot be made the user generator.
func (a *app) compileInto(host systemd.Host, argv0 string, user bool) func(dirs []string, out string) error {
	return func(dirs []string, out string) error {
		target := host.Podman
		if target.IsZero() {
			target = a.target(context.Background())
		}
		log := generate.NewLogger(a.stderr, "", false)
		defer func() { _ = log.Close() }()
		return generate.Run(generate.Config{
			Dirs:    dirs,
			Output:  out,
			Options: quadlet.Options{User: user, Target: target, Podman: a.podmanBinary(), Exists: hostPathExists},
			Argv0:   argv0,
			Log:     log,
			Durable: true, // the units are moved into the user's unit folder
		})
	}
}

func (a *app) printInstallResult(res *systemd.InstallResult, layout systemd.Layout, dir string) {
	if len(res.Warnings) > 0 {
		printDiags(a.stderr, res.Warnings, dir)
	}
	for _, p := range res.Removed {
		fmt.Fprintf(a.stdout, "removed %s (no longer in the stack)\n", p)
	}
	for _, w := range systemd.Check(layout, systemd.CheckEnv{NetworkOnline: res.NetworkOnline}) {
		fmt.Fprintf(a.stderr, "%s: %s\n", programName, w)
	}
}

// stackDir is DIR, else -C, else the current folder.
func (a *app) stackDir(args []string) (string, error) {
	if len(args) > 0 {
		return filepath.Abs(args[0])
	}
	return a.global.workDir()
}

type uninstallOptions struct{ scope scopeFlags }

func (a *app) newUninstallCmd() *cobra.Command {
	o := &uninstallOptions{}
	cmd := &cobra.Command{
		Use:   "uninstall [STACK]",
		Short: "Stop an installed stack and remove its files and networks; volumes and their data are kept",
		Args:  cobra.MaximumNArgs(1),
		RunE:  func(c *cobra.Command, args []string) error { return a.runUninstall(c.Context(), o, args) },
	}
	o.scope.add(cmd, "uninstall from")
	return cmd
}

func (a *app) runUninstall(ctx context.Context, o *uninstallOptions, args []string) error {
	stack, err := a.stackArg(args)
	if err != nil {
		return err
	}
	m, layout, err := findInstalled(o.scope.scopes(), stack)
	if err != nil {
		return err
	}
	r, err := systemd.Uninstall(ctx, systemd.UninstallOptions{Stack: m.Stack, Layout: layout,
		Manager: systemd.NewSystemctl(layout.Scope), Networks: a.podmanClient(), Log: a.stdout})
	if err != nil {
		return err
	}
	for _, n := range r.Networks {
		fmt.Fprintf(a.stdout, "removed network %s\n", n)
	}
	for _, k := range r.Kept {
		fmt.Fprintf(a.stdout, "kept %s: other installed stacks still use it\n", k)
	}
	var vols []string
	for _, u := range m.Units {
		if u.Kind == "volume" {
			vols = append(vols, u.Source)
		}
	}
	if len(vols) > 0 {
		fmt.Fprintf(a.stdout, "volumes and their data are kept (%s); `podman volume ls` lists them, `podman volume rm NAME` deletes one\n", strings.Join(vols, ", "))
	} else {
		fmt.Fprintln(a.stdout, "volumes and their data are kept")
	}
	for _, e := range r.Errors {
		fmt.Fprintf(a.stderr, "%s: warning: %v\n", programName, e)
	}
	return nil
}

// stackArg is STACK, else the stack name of -C or the current folder.
func (a *app) stackArg(args []string) (string, error) {
	if len(args) > 0 {
		return args[0], nil
	}
	if a.global.project != "" {
		return a.global.projectName(""), nil
	}
	dir, err := a.global.workDir()
	if err != nil {
		return "", err
	}
	return a.global.projectName(dir), nil
}

// findInstalled looks for the stack in the scopes, in order.
func findInstalled(scopes []systemd.Scope, stack string) (*systemd.Manifest, systemd.Layout, error) {
	var where []string
	for _, s := range scopes {
		l, err := systemd.HostLayout(s)
		if err != nil {
			continue
		}
		ok, m, err := systemd.InstalledIn(l, stack)
		if err != nil {
			return nil, l, err
		}
		if ok {
			return m, l, nil
		}
		where = append(where, l.StackDir(stack))
	}
	return nil, systemd.Layout{}, fmt.Errorf("stack %q is not installed (looked in %s); `berth list` shows installed stacks",
		stack, strings.Join(where, ", "))
}
