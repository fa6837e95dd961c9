package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// runCommands are the verbs that run a stack on podman without systemd.
// All but the hidden supervise also run compose projects (-f, --env-file,
// --profile).
func (a *app) runCommands() []*cobra.Command {
	cmds := []*cobra.Command{a.newUpCmd(), a.newDownCmd(), a.newPsCmd(), a.newLogsCmd(), a.newStartCmd(),
		a.newStopCmd(), a.newRestartCmd(), a.newExecCmd(), a.newShellCmd(), a.newBuildCmd(), a.newRunCmd(), a.newConfigCmd(),
		a.newPortCmd(), a.newKillCmd(), a.newWaitCmd(), a.newImagesCmd(),
		a.newTopCmd(), a.newPauseCmd("pause"), a.newPauseCmd("unpause"), a.newCpCmd(), a.newEventsCmd()}
	for _, c := range cmds {
		a.addComposeFlags(c)
	}
	return append(cmds, a.newSuperviseCmd(), a.newLsCmd())
}

// nameUnsafe matches what may not appear in a project name (it becomes part
// of container, network and unit names).
var nameUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_.-]+`)

// projectName is -p, else the folder's name, reduced to what podman names
// and labels accept.
func (g *globalOptions) projectName(dir string) string {
	name := g.project
	if name == "" {
		name = filepath.Base(dir)
	}
	name = strings.ToLower(nameUnsafe.ReplaceAllString(name, "-"))
	return strings.Trim(name, "-.")
}

// openServices opens the project and resolves the SERVICE arguments to its
// units (all when there are none); an unknown service is a usage error.
func (a *app) openServices(ctx context.Context, args []string) (*run.Project, []*run.Unit, error) {
	p, err := a.openProject(ctx, true)
	if err != nil {
		return nil, nil, err
	}
	units, err := p.Stack.Resolve(args)
	if err != nil {
		return nil, nil, &usageError{err: err}
	}
	return p, units, nil
}

// openProject compiles the stack for the installed podman (or the
// --podman-version given) and sets up the executor. The stack is the
// folder's quadlet files, or a compose project (-f, or a compose file in a
// folder without quadlets) converted in memory exactly as `berth convert`
// does. withStack=false skips compiling, for the supervisor, which runs the
// units recorded in its state.
func (a *app) openProject(ctx context.Context, withStack bool) (*run.Project, error) {
	dir, err := a.global.workDir()
	if err != nil {
		return nil, err
	}
	var cp *compose.Project
	if withStack {
		if cp, err = a.loadCompose(ctx, dir); err != nil {
			return nil, err
		}
	}
	project := a.global.projectName(dir)
	if cp != nil {
		project = cp.Name
	}
	if project == "" {
		return nil, &usageError{err: fmt.Errorf("cannot derive a project name from %q", dir), hint: "pass -p NAME"}
	}
	client := podman.New()
	client.VersionCache = podman.VersionCache{File: podman.DefaultVersionCacheFile(os.Geteuid(), a.env.LookupEnv)}
	host := sd.HostFacts(os.Getuid() != 0)
	if host.User && os.Getenv("XDG_RUNTIME_DIR") == "" {
		if err := a.runtimeDirFallback(ctx, client, host, project); err != nil {
			return nil, err
		}
	}
	store := run.Store{Dir: run.StateDir(project, host.User, host.RuntimeDir)}
	p := &run.Project{Podman: client, Store: store, Stack: &run.Stack{Project: project, Dir: dir}}
	p.Exec = &run.Executor{Runner: client.Runner, Podman: client, Host: host, Clock: run.RealClock{},
		NotifyDir: store.Dir, BaseEnv: sd.ManagerEnv(host).List(), PodmanEnv: podmanPassEnv(), LookupEnv: os.LookupEnv, Progress: a.progressPrinter()}
	if !withStack {
		return p, nil
	}
	target := a.global.target
	if !a.global.explicit {
		if target, err = client.Version(ctx); err != nil {
			return nil, fmt.Errorf("cannot run podman: %w", err)
		}
	}
	var st *run.Stack
	var diags diag.List
	if cp != nil {
		p.Exec.UnhealthyFails = true // docker compose's service_healthy semantics
		st, diags, err = a.composeStack(ctx, cp, dir, target, host, client)
	} else {
		st, diags, err = run.LoadStack(dir, project, target, host)
	}
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return nil, &diagsError{diags: diags, base: dir}
	}
	if len(diags) > 0 {
		printDiags(a.stderr, diags, dir)
	}
	if len(st.Units) == 0 && cp == nil {
		return nil, fmt.Errorf("no quadlet files in %s (and no compose file: pass -f compose.yaml)", dir)
	}
	if len(st.Units) == 0 {
		// A compose file without services is valid: docker compose
		// creates nothing and says so.
		fmt.Fprintf(a.stderr, "%s: warning: the compose project %s has no services\n", programName, cp.Name)
	}
	st.LearnSecrets(client.Mask)
	p.Stack = st
	return p, nil
}

// runtimeDirFallback follows rootless podman when XDG_RUNTIME_DIR is unset
// (runuser -l, su, cron): berth's state goes where podman's does
// (podman.RuntimeDir), and berth says where.
func (a *app) runtimeDirFallback(ctx context.Context, client *podman.Client, host *sd.Host, project string) error {
	v, err := client.Version(ctx)
	if err != nil {
		return fmt.Errorf("cannot run podman: %w", err)
	}
	dir, err := podman.RuntimeDir(v, host.UID, os.Getenv("TMPDIR"), host.Home)
	if err != nil {
		return err
	}
	host.RuntimeDir, host.UserBus = dir, false
	if dir != "/run/user/"+strconv.Itoa(host.UID) {
		fmt.Fprintf(a.stderr, "%s: note: XDG_RUNTIME_DIR is not set; like podman %s, berth keeps its run-time state in %s\n",
			programName, v, run.StateDir(project, true, dir))
	}
	return nil
}

// podmanPassEnv are the variables of berth's environment that configure
// podman itself; the executor passes them to Exec lines (so that their
// podman sees the same storage and service as berth's) but never substitutes
// them into $VAR, which follows the unit's environment only.
func podmanPassEnv() []string {
	var env []string
	for _, k := range []string{"CONTAINERS_CONF", "CONTAINERS_CONF_OVERRIDE", "CONTAINERS_STORAGE_CONF",
		"CONTAINERS_REGISTRIES_CONF", "CONTAINER_HOST", "CONTAINER_CONNECTION", "TMPDIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// progressPrinter prints one line per service status change.
func (a *app) progressPrinter() func(service, status string) {
	var mu sync.Mutex
	return func(service, status string) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(a.stderr, "%-14s %s\n", service, status)
	}
}

// signalContext is cancelled on SIGINT or SIGTERM.
func stopSignals() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// reportOutcomes prints every failure in full and returns an error when any
// unit failed.
func (a *app) reportOutcomes(outs []*run.Outcome) error {
	errs := run.Failed(outs)
	for _, err := range errs {
		fmt.Fprintf(a.stderr, "\n%v\n", err)
	}
	if len(errs) > 0 {
		return errSilent{fmt.Errorf("%d unit(s) failed", len(errs))}
	}
	return nil
}

// errSilent is an error already explained on stderr; report prints its
// short text only.
type errSilent struct{ error }

// notifySupervisor asks a running supervisor to re-read the state;
// ErrNoSupervisor is not an error here.
func notifySupervisor(p *run.Project) {
	_, _ = run.Ask(p.Store.SocketPath(), "reload")
}

// isTTY reports whether f is a terminal.
func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func elapsed(t0 time.Time) string { return time.Since(t0).Round(time.Millisecond).String() }
