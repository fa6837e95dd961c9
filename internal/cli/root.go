// Package cli is berth's command line: one file per verb, each with a
// newXCmd constructor, an xOptions struct and a runX function, and one place
// (errors.go) that turns errors into messages and exit codes.
package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/doctor"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/startup"
	"github.com/berth-dev/berth/internal/version"
)

// app is one invocation: its streams, its environment and the global flags.
type app struct {
	argv0  string
	stdout io.Writer
	stderr io.Writer
	env    quadlet.Env
	kmsg   string // the kernel log the generator writes to; "" for none
	global globalOptions
	// compose is the compose project of the run verbs (compose_stack.go).
	compose composeOptions
	// probePodman asks the installed podman for its version (see target);
	// nil in tests, which then compile for the newest podman.
	probePodman func(context.Context) (version.V, error)
	// generator is set while berth runs as a systemd generator, which must
	// not write outside its output folders.
	generator bool
	// tuneRuntime lets short verbs change process-wide runtime settings
	// (garbage collection); false in tests.
	tuneRuntime bool
	// doctorHost is the machine `berth doctor` examines; nil means this
	// one. Tests give a doctor.FakeHost.
	doctorHost doctor.Host
	// signals ends the command promptly on SIGINT/SIGTERM (signals.go); nil
	// in tests that call run directly.
	signals *signalGate
}

// globalOptions are the flags every verb takes.
type globalOptions struct {
	dir           string // -C: work as if started in this folder
	project       string // -p: the stack's name
	podmanVersion string // --podman-version, or $BERTH_PODMAN_VERSION
	target        version.V
	explicit      bool // target came from the flag or the environment
	detected      bool // the installed podman was asked (see app.target)
}

// Execute runs berth with the process's arguments and returns the exit code.
func Execute() int {
	closeInheritedFDs()
	a := &app{
		argv0:  os.Args[0],
		stdout: os.Stdout,
		stderr: os.Stderr,
		env:    quadlet.HostEnv(),
		kmsg:   "/dev/kmsg",

		tuneRuntime: true,
		signals:     newSignalGate(os.Stderr),
	}
	a.probePodman = func(ctx context.Context) (version.V, error) {
		cache := podman.VersionCache{
			File:     podman.DefaultVersionCacheFile(os.Geteuid(), a.env.LookupEnv),
			ReadOnly: a.generator,
		}
		return a.podmanClient().CachedBinaryVersion(ctx, cache)
	}
	return a.run(os.Args[1:])
}

// run parses args (without the program name) and runs the verb.
func (a *app) run(args []string) int {
	args = prepareArgs(a.argv0, args)
	if i := verbIndex(args); !a.tuneRuntime || i < 0 || !gcTunedVerbs[args[i]] {
		startup.Done()
	}
	flush := a.startTracing(context.Background())
	root := a.newRootCmd()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	cmd, err := root.ExecuteContextC(traceParent(context.Background()))
	code := a.report(cmd, err)
	flush()
	return code
}

func (a *app) newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "berth",
		Short: "Compile podman quadlet files into systemd units and run stacks on podman",
		Long: "berth compiles podman quadlet files (.container, .volume, .network, .pod, .kube,\n" +
			".build, .image, .artifact) into systemd .service units exactly as podman's own\n" +
			"quadlet generator does, and runs stacks on podman.",
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: true},
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.global.resolve(a.env) },
	}
	f := root.PersistentFlags()
	f.StringVarP(&a.global.dir, "directory", "C", "", "work as if berth was started in `DIR`")
	f.StringVarP(&a.global.project, "project", "p", "", "stack (project) `NAME`")
	f.StringVar(&a.global.podmanVersion, "podman-version", "",
		"podman `VERSION` the units must run on (default: $BERTH_PODMAN_VERSION, else the installed podman's, else "+version.Latest.String()+")")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return usageErr(c, err) })
	root.AddCommand(a.newGenerateCmd(), a.newCompileCmd(), a.newVersionCmd())
	root.AddCommand(a.newConvertCmd())
	root.AddCommand(a.systemdCommands()...)
	root.AddCommand(a.runCommands()...)
	root.AddCommand(a.newLintCmd(), a.newDoctorCmd())
	root.AddCommand(a.observeCommands()...)
	root.AddCommand(a.newKubeCmd())
	return root
}

// resolve checks the global flags.
func (g *globalOptions) resolve(env quadlet.Env) error {
	spec := g.podmanVersion
	if spec == "" && env.LookupEnv != nil {
		spec, _ = env.LookupEnv("BERTH_PODMAN_VERSION")
	}
	if spec == "" {
		g.target = version.Latest
		return nil
	}
	v, err := version.Parse(spec)
	if err != nil {
		return &usageError{err: err, hint: "pass --podman-version with the output of `podman --version`, e.g. 4.9.3"}
	}
	g.target, g.explicit = v, true
	return nil
}

// workDir is the folder relative paths are read against: -C, else the
// current folder.
func (g *globalOptions) workDir() (string, error) {
	if g.dir == "" {
		return os.Getwd()
	}
	return filepath.Abs(g.dir)
}

// isGeneratorName reports whether berth was started through a systemd
// generator link such as berth-system-generator or berth-user-generator.
func isGeneratorName(argv0 string) bool {
	return strings.HasSuffix(filepath.Base(argv0), "-generator")
}

// prepareArgs turns a generator invocation into `generate ARGS` and
// rewrites podman's single-dash generator flags (-user, -dryrun, ...) into
// the spelling cobra reads.
func prepareArgs(argv0 string, args []string) []string {
	if isGeneratorName(argv0) {
		args = append([]string{"generate"}, args...)
	} else {
		args = moveComposeFlags(args)
	}
	i := verbIndex(args)
	if i < 0 || args[i] != "generate" {
		return args
	}
	out := append([]string(nil), args...)
	for j := i + 1; j < len(out); j++ {
		if out[j] == "--" {
			break
		}
		out[j] = podmanFlag(out[j])
	}
	return out
}

// podmanFlags are the generator flags podman spells with one dash (Go's
// flag package); cobra needs two for long names.
var podmanFlags = []string{"-user", "-dryrun", "-no-kmsg-log", "-version", "-help"}

func podmanFlag(arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	for _, f := range podmanFlags {
		if name == f {
			return "-" + arg
		}
	}
	if name == "--v" { // Go's flag package reads --v as -v
		return arg[1:]
	}
	return arg
}

// verbIndex is the index of the first argument that is not a global flag
// or its value, or -1.
func verbIndex(args []string) int {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		case a == "-C" || a == "-p" || a == "--directory" || a == "--project" || a == "--podman-version":
			i++ // the value
		case strings.HasPrefix(a, "-"):
		default:
			return i
		}
	}
	return -1
}
