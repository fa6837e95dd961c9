package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/startup"
	"github.com/berth-dev/berth/internal/systemd"
	"github.com/berth-dev/berth/internal/version"
)

// generateOptions are the flags of `berth generate`, podman's generator's.
type generateOptions struct {
	user    bool
	dryRun  bool
	verbose bool
	noKmsg  bool
	version bool
}

func (a *app) newGenerateCmd() *cobra.Command {
	var o generateOptions
	cmd := &cobra.Command{
		Use:   "generate [flags] NORMAL_DIR [EARLY_DIR LATE_DIR]",
		Short: "Run as the systemd generator (drop-in for podman-system-generator)",
		Long: "generate is a drop-in replacement for podman-system-generator and\n" +
			"podman-user-generator: it reads the quadlet search path (or QUADLET_UNIT_DIRS)\n" +
			"and writes the services, with the links [Install] asks for, into NORMAL_DIR.\n" +
			"Linked as berth-system-generator or berth-user-generator, berth runs this verb;\n" +
			"a program name containing \"user\" selects user mode. podman's single-dash\n" +
			"flags (-user -dryrun -v -no-kmsg-log -version) are accepted.",
		Args: func(c *cobra.Command, args []string) error {
			if len(args) > 3 {
				return usageErr(c, fmt.Errorf("accepts at most 3 folders (NORMAL_DIR EARLY_DIR LATE_DIR), got %d", len(args)))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error { return a.runGenerate(o, args) },
	}
	f := cmd.Flags()
	f.BoolVar(&o.user, "user", false, "run as the user generator (rootless search path)")
	f.BoolVar(&o.dryRun, "dryrun", false, "print the units to stdout instead of writing them")
	f.BoolVarP(&o.verbose, "verbose", "v", false, "print debug information")
	f.BoolVar(&o.noKmsg, "no-kmsg-log", false, "do not log to /dev/kmsg")
	f.BoolVar(&o.version, "version", false, "print the podman version berth generates for, and exit")
	return cmd
}

func (a *app) runGenerate(o generateOptions, args []string) error {
	a.generator = true
	if o.version {
		_, err := fmt.Fprintln(a.stdout, a.target(context.Background()))
		return err
	}
	a.tuneGC()
	kmsg := a.kmsg
	if o.noKmsg || o.dryRun {
		kmsg = ""
	}
	log := generate.NewLogger(a.stderr, kmsg, o.verbose || o.dryRun)
	log.Buffered = true
	defer func() { _ = log.Close() }()
	if !o.dryRun && len(args) < 1 {
		log.Logf("missing output directory argument")
		log.Logf("%s", generate.ErrFailed)
		return generate.ErrFailed
	}
	user := o.user || strings.Contains(filepath.Base(a.argv0), "user")
	env := a.env
	env.Logf = log.Logf
	dirs := quadlet.SearchDirs(user, env)
	var target version.V
	if user && !a.global.explicit {
		target = recordedPodman(dirs)
	}
	if target.IsZero() {
		target = a.target(context.Background())
	}
	cfg := generate.Config{
		Dirs:    dirs,
		DryRun:  o.dryRun,
		Options: quadlet.Options{User: user, Target: target, Podman: a.podmanBinary(), Exists: hostPathExists},
		Argv0:   a.argv0,
		Stdout:  a.stdout,
		Log:     log,
	}
	if !o.dryRun {
		cfg.Output = args[0]
		if len(args) >= 3 {
			cfg.Late = args[2]
		}
	}
	return generate.Run(cfg)
}

// hostPathExists tells the compiler which devices exist (AddDevice=-/dev/x),
// as podman's generator checks the host it runs on.
func hostPathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// podmanBinary is $PODMAN, which podman's generator uses for the podman in
// Exec lines; "" means the default /usr/bin/podman.
func (a *app) podmanBinary() string {
	if a.env.LookupEnv == nil {
		return ""
	}
	p, _ := a.env.LookupEnv("PODMAN")
	return p
}

// gcTunedVerbs are the verbs that call tuneGC. For them the collector,
// off since init (internal/startup), stays off until tuneGC decides.
var gcTunedVerbs = map[string]bool{"generate": true, "compile": true}

// tuneGC turns the garbage collector off up to a memory limit, unless
// GOGC or GOMEMLIMIT say otherwise: a generator or compile run is short and
// allocates a few tens of megabytes, so collecting only costs time. Only
// the real process does this (tests share one runtime).
func (a *app) tuneGC() {
	if !a.tuneRuntime {
		return
	}
	if a.env.LookupEnv != nil {
		_, gogc := a.env.LookupEnv("GOGC")
		_, limit := a.env.LookupEnv("GOMEMLIMIT")
		if gogc || limit {
			startup.Done()
			return
		}
	}
	debug.SetMemoryLimit(256 << 20)
	debug.SetGCPercent(-1)
}

// recordedPodman is the podman version `berth install` recorded in the
// manifest of a stack installed in one of dirs (zero when none has one).
// The user generator reads it instead of running `podman --version`: run by
// the user manager during daemon-reload, rootless podman asks that same
// manager over D-Bus for a scope for its pause process and waits until the
// probe times out (15 s), then berth would compile for the newest podman.
func recordedPodman(dirs []string) version.V {
	for _, d := range dirs {
		m, err := systemd.ReadManifest(filepath.Join(d, systemd.ManifestName))
		if err != nil || m.Podman == "" {
			continue
		}
		if v, err := version.Parse(m.Podman); err == nil {
			return v
		}
	}
	return version.V{}
}
