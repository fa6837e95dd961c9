package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/gencmd"
	"github.com/berth-dev/berth/internal/startup"
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
	if !o.version {
		a.tuneGC()
	}
	p := gencmd.Process{
		Argv0: a.argv0, Stdout: a.stdout, Stderr: a.stderr, Env: a.env, Kmsg: a.kmsg,
		Explicit: a.global.explicit, Target: a.target,
	}
	f := gencmd.Flags{User: o.user, DryRun: o.dryRun, Verbose: o.verbose, NoKmsg: o.noKmsg, Version: o.version}
	return gencmd.Run(p, f, args)
}

// hostPathExists: see gencmd.HostPathExists.
func hostPathExists(p string) bool { return gencmd.HostPathExists(p) }

// podmanBinary is $PODMAN (gencmd.PodmanBinary).
func (a *app) podmanBinary() string { return gencmd.PodmanBinary(a.env) }

// gcTunedVerbs are the verbs that call tuneGC. For them the collector,
// off since init (internal/startup), stays off until tuneGC decides.
var gcTunedVerbs = map[string]bool{"generate": true, "compile": true}

// tuneGC turns the garbage collector off for a generator or compile run
// (gencmd.TuneGC), unless GOGC or GOMEMLIMIT say otherwise. Only the real
// process does this (tests share one runtime).
func (a *app) tuneGC() {
	if !a.tuneRuntime {
		return
	}
	if !gencmd.TuneGC(a.env.LookupEnv) {
		startup.Done()
	}
}
