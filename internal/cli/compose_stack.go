package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/compose"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/run"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/version"
)

// composeOptions are the compose flags of the run verbs, and the compose
// project openProject loaded with them.
type composeOptions struct {
	composeFiles // -f is --file except on logs, where -f is --follow
	// starting: the verb starts services (up, start, restart): losses are
	// printed as warnings and, unless --dry-run, the project's podman
	// secrets are created when the stack is opened.
	starting bool
	secrets  bool
	project  *compose.Project
	warned   bool // losses printed once per process (restart opens twice)
	// enable names services to run even if their profile is not active
	// (up SERVICE, run SERVICE), as docker compose enables them.
	enable []string
	scale  []string // up --scale SERVICE=N
}

// composeFiles are the flags that choose a compose project: the run verbs,
// convert, lint and kube export share them.
type composeFiles struct {
	files    []string // -f, --file
	envFiles []string // --env-file
	profiles []string // --profile
}

// add adds --file (-f, unless the verb has another -f), --env-file and
// --profile; fileUsage says what the verb does with the project.
func (cf *composeFiles) add(c *cobra.Command, fileUsage string) {
	f := c.Flags()
	if f.ShorthandLookup("f") == nil {
		f.StringArrayVarP(&cf.files, "file", "f", nil, fileUsage)
	} else {
		f.StringArrayVar(&cf.files, "file", nil, fileUsage)
	}
	f.StringArrayVar(&cf.envFiles, "env-file", nil, "compose environment `FILE` for interpolation (default .env)")
	f.StringArrayVar(&cf.profiles, "profile", nil, "enable compose services of `PROFILE` (default $COMPOSE_PROFILES)")
}

// addComposeFlags adds -f/--file, --env-file and --profile to a run verb;
// up, start and restart also create the project's secrets.
func (a *app) addComposeFlags(c *cobra.Command) {
	a.compose.add(c, "run the compose project of `FILE` (repeatable; later files override)")
	switch c.Name() {
	case "up", "start", "restart", "run":
	default:
		return
	}
	prev := c.PreRunE
	c.PreRunE = func(c *cobra.Command, args []string) error {
		dry := c.Flags().Lookup("dry-run")
		a.compose.starting = true
		a.compose.secrets = dry == nil || dry.Value.String() != "true"
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// composeLoadOptions are the compose loader's options for -f, --env-file,
// --profile and -p, with paths relative to base; the same for convert and
// the run verbs, so both name and convert a project alike.
func (a *app) composeLoadOptions(base string, c composeFiles) compose.LoadOptions {
	lo := compose.LoadOptions{Profiles: c.profiles, Name: a.global.project}
	for _, f := range c.files {
		lo.Files = append(lo.Files, absUnder(base, f))
	}
	for _, f := range c.envFiles {
		lo.EnvFiles = append(lo.EnvFiles, absUnder(base, f))
	}
	if len(lo.Files) == 0 {
		lo.WorkingDir = base
	}
	return lo
}

// loadCompose loads the compose project the run verbs work on: the -f files,
// else, when dir holds no quadlet files, its compose file (with its
// override and .env, as docker compose finds them) or $COMPOSE_FILE. It
// returns nil for a quadlet stack.
func (a *app) loadCompose(ctx context.Context, dir string) (*compose.Project, error) {
	o := &a.compose
	if o.project != nil {
		return o.project, nil
	}
	if len(o.files) == 0 {
		var envFiles []string
		for _, f := range o.envFiles {
			envFiles = append(envFiles, absUnder(dir, f))
		}
		isCompose, err := composeFolder(dir, envFiles...)
		if err != nil || !isCompose {
			return nil, err
		}
	}
	lo := a.composeLoadOptions(dir, o.composeFiles)
	lo.Enable = o.enable
	p, err := compose.Load(ctx, lo)
	if err != nil {
		return nil, err
	}
	if err := applyScale(p, o.scale); err != nil {
		return nil, err
	}
	o.project = p
	return p, nil
}

// composeFolder reports whether dir is a compose project: no quadlet files,
// and a compose file there or in a parent folder, or COMPOSE_FILE (from the
// environment or dir/.env), as docker compose finds them.
func composeFolder(dir string, envFiles ...string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("%s: no such folder (check -C)", dir)
		}
		return false, err
	}
	for _, e := range entries {
		if !e.IsDir() && quadlet.IsQuadlet(e.Name()) {
			return false, nil
		}
	}
	files, err := compose.Discover(dir, nil, envFiles...)
	return len(files) > 0, err
}

// composeStack converts the compose project to quadlet units exactly as
// `berth convert` writes them (formatted and read back, so nothing differs
// from converting to files and running the folder), prints the losses as
// warnings, and compiles the units. Services keep their compose names.
func (a *app) composeStack(ctx context.Context, cp *compose.Project, dir string, target version.V, host *sd.Host,
	client *podman.Client) (*run.Stack, diag.List, error) {
	units, rep, err := compose.ToUnits(cp, compose.Options{Target: target, InlineDir: inlineDir(cp, host)})
	if err != nil {
		printReport(a.stderr, rep, dir)
		return nil, nil, errSilent{fmt.Errorf("the compose project cannot run: %d setting(s) cannot be expressed", countErrors(rep))}
	}
	if err := compose.WriteFiles(rep.Files); err != nil {
		return nil, nil, fmt.Errorf("writing the inline Containerfiles: %w", err)
	}
	a.warnLosses(rep, dir)
	units, texts, diags := readBack(units)
	if diags.HasErrors() {
		return nil, placeDiags(cp, texts, diags), nil
	}
	names := map[string]string{}
	for name := range cp.Services {
		names[compose.ContainerFile(cp, name)] = name
		for i := 2; i <= compose.Replicas(cp, name); i++ {
			names[compose.ReplicaFile(cp, name, i)] = name + "-" + strconv.Itoa(i)
		}
	}
	st, more, err := run.CompileStack(dir, cp.Name, units, target, host, names)
	more = placeDiags(cp, texts, more)
	if st != nil {
		st.ConfigFiles = cp.ComposeFiles
		st.Declared = map[string]bool{}
		for name := range cp.DisabledServices {
			st.Declared[name] = true
		}
	}
	if err != nil || more.HasErrors() || !a.compose.secrets {
		return st, append(diags, more...), err
	}
	if err := checkExternals(ctx, client, cp); err != nil {
		return nil, nil, err
	}
	if err := a.ensureSecrets(ctx, client, cp, rep.Secrets); err != nil {
		return nil, nil, err
	}
	return st, append(diags, more...), nil
}

// warnLosses prints the approximated and dropped settings (not the notes)
// once, before anything starts.
func (a *app) warnLosses(rep compose.Report, base string) {
	if a.compose.warned || !a.compose.starting {
		return
	}
	a.compose.warned = true
	for _, e := range rep.Entries {
		if e.Severity == compose.Approximated || e.Severity == compose.Dropped {
			e.Pos.File = relTo(base, e.Pos.File)
			fmt.Fprintf(a.stderr, "%s: warning: %s\n", programName, e)
		}
	}
}

func countErrors(rep compose.Report) int {
	n := 0
	for _, e := range rep.Entries {
		if e.Severity == compose.Error {
			n++
		}
	}
	return n
}

// ensureSecrets creates the podman secrets the units mount from their
// compose sources, and replaces those whose value changed. Values go to
// podman on stdin; nothing prints them.
func (a *app) ensureSecrets(ctx context.Context, client *podman.Client, cp *compose.Project, secrets []compose.Secret) error {
	for _, s := range secrets {
		value, err := cp.Data(s)
		if err != nil {
			return err
		}
		client.Mask.Add(string(value)) // masked wherever it shows up, created now or not
		digest, exists, err := client.SecretDigest(ctx, s.Name)
		if err != nil {
			return fmt.Errorf("secret %s: %w", s.Name, err)
		}
		if exists && podman.SecretMatches(digest, value) {
			continue
		}
		labels := map[string]string{run.LabelProject: cp.Name}
		if err := client.SecretCreate(ctx, s.Name, value, labels, exists); err != nil {
			return fmt.Errorf("creating podman secret %s from %s: %w", s.Name, s.Source(), err)
		}
		verb := "created"
		if exists {
			verb = "replaced (its value changed; running containers keep the old one until recreated)"
		}
		fmt.Fprintf(a.stderr, "%-14s secret %s\n", s.Name, verb)
	}
	return nil
}

// checkExternals fails when an external network or volume of the project
// is missing, naming every one, before anything starts.
func checkExternals(ctx context.Context, client *podman.Client, cp *compose.Project) error {
	var missing []error
	for _, e := range cp.Externals() {
		ok, err := client.Exists(ctx, e.Kind, e.Name)
		if err != nil {
			return err
		}
		if !ok {
			missing = append(missing, errors.New(e.Missing()))
		}
	}
	return errors.Join(missing...)
}

// applyScale applies up --scale SERVICE=N to the loaded project.
func applyScale(p *compose.Project, scale []string) error {
	for _, kv := range scale {
		name, n, ok := strings.Cut(kv, "=")
		num, err := strconv.Atoi(n)
		if !ok || err != nil || num < 0 {
			return &usageError{err: fmt.Errorf("--scale %q: want SERVICE=NUMBER", kv)}
		}
		s, ok := p.Services[name]
		if !ok {
			return &usageError{err: fmt.Errorf("--scale: no service %q", name)}
		}
		s.SetScale(num)
		p.Services[name] = s
	}
	return nil
}

// inlineDir is where the run verbs keep a project's build.dockerfile_inline
// Containerfiles: beside its state, for the .build units to read.
func inlineDir(cp *compose.Project, host *sd.Host) string {
	return filepath.Join(run.StateDir(cp.Name, host.User, host.RuntimeDir), "build")
}
