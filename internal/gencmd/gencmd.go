// Package gencmd is berth's systemd generator as a command: podman's
// generator flags, the podman version the units are compiled for, the
// garbage collector's setting and the run itself. The small generator
// binary (cmd/berth-generator, what `berth install` links as
// berth-system-generator) and `berth generate` both run it, so they behave
// alike. It links only the unit-file parser, the compiler, the generator and
// what they read (podman's version cache, the podman version in install
// manifests): nothing of
// compose, OpenTelemetry or Prometheus, whose initialisation would
// otherwise be most of a generator run (see cmd/berth-generator).
package gencmd

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/version"
)

// Flags are podman's generator flags.
type Flags struct {
	User    bool // -user: the rootless search path
	DryRun  bool // -dryrun: print the units instead of writing them
	Verbose bool // -v
	NoKmsg  bool // -no-kmsg-log
	Version bool // -version: print the podman version compiled for
}

// Process is what a generator run gets from the process around it.
type Process struct {
	Argv0  string // a name containing "user" selects user mode, as podman's
	Stdout io.Writer
	Stderr io.Writer
	Env    quadlet.Env
	Kmsg   string // the kernel log ("/dev/kmsg"); "" for none
	// Explicit says the target was asked for (--podman-version,
	// $BERTH_PODMAN_VERSION) rather than detected.
	Explicit bool
	// Target is the podman version to compile for: the one asked for, else
	// the installed podman's, else the newest berth knows.
	Target func(context.Context) version.V
}

// Run runs the generator with NORMAL_DIR [EARLY_DIR LATE_DIR] in args. It
// returns generate.ErrFailed, already logged, when anything failed.
func Run(p Process, f Flags, args []string) error {
	if f.Version {
		_, err := fmt.Fprintln(p.Stdout, p.Target(context.Background()))
		return err
	}
	kmsg := p.Kmsg
	if f.NoKmsg || f.DryRun {
		kmsg = ""
	}
	log := generate.NewLogger(p.Stderr, kmsg, f.Verbose || f.DryRun)
	log.Buffered = true
	defer func() { _ = log.Close() }()
	if !f.DryRun && len(args) < 1 {
		log.Logf("missing output directory argument")
		log.Logf("%s", generate.ErrFailed)
		return generate.ErrFailed
	}
	user := f.User || strings.Contains(filepath.Base(p.Argv0), "user")
	var target version.V
	if user && !p.Explicit {
		// The manifests are found on the search path of today's podman.
		target = recordedPodman(quadlet.SearchDirs(user, p.Env))
	}
	if target.IsZero() {
		target = p.Target(context.Background())
	}
	env := p.Env
	env.Logf = log.Logf
	env.Target = target // podman 6 searches more folders
	dirs := quadlet.SearchDirs(user, env)
	cfg := generate.Config{
		Dirs:    dirs,
		DryRun:  f.DryRun,
		Options: quadlet.Options{User: user, Target: target, Podman: PodmanBinary(p.Env), Exists: HostPathExists},
		Argv0:   p.Argv0,
		Stdout:  p.Stdout,
		Log:     log,
	}
	if !f.DryRun {
		cfg.Output = args[0]
		if len(args) >= 3 {
			cfg.Late = args[2]
		}
	}
	return generate.Run(cfg)
}

// Main is the small generator binary's whole program: podman's flags (Go's
// flag package, as podman's generator parses them), the target from
// $BERTH_PODMAN_VERSION or the installed podman, then Run. It returns the
// exit code: 0, 1 when anything failed, 2 for bad usage.
func Main(argv []string, stdout, stderr io.Writer) int {
	_ = growStack(len(argv))
	p := Process{Argv0: argv[0], Stdout: stdout, Stderr: stderr, Env: quadlet.HostEnv(), Kmsg: "/dev/kmsg"}
	return mainWith(p, argv[1:], true)
}

// mainWith is Main for the process p (Argv0, streams, environment, kernel
// log); tuneGC is false in tests, which share one runtime.
func mainWith(p Process, args []string, tuneGC bool) int {
	stderr := p.Stderr
	var f Flags
	fs := flag.NewFlagSet(filepath.Base(p.Argv0), flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&f.User, "user", false, "Run as systemd user")
	fs.BoolVar(&f.DryRun, "dryrun", false, "Run in dryrun mode printing debug information")
	fs.BoolVar(&f.Verbose, "v", false, "Print debug information")
	fs.BoolVar(&f.NoKmsg, "no-kmsg-log", false, "Don't log to kmsg")
	fs.BoolVar(&f.Version, "version", false, "Print the podman version berth generates for, and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s [flags] NORMAL_DIR [EARLY_DIR LATE_DIR]\n"+
			"berth's systemd generator for podman quadlet files (drop-in for podman-system-generator).\n"+
			"Set BERTH_PODMAN_VERSION to compile for a podman other than the installed one.\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 3 {
		fmt.Fprintf(stderr, "%s: accepts at most 3 folders (NORMAL_DIR EARLY_DIR LATE_DIR), got %d\n", fs.Name(), fs.NArg())
		return 2
	}
	target, explicit, err := EnvTarget(p.Env.LookupEnv)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v (set BERTH_PODMAN_VERSION to the output of `podman --version`, e.g. 5.8.2)\n", fs.Name(), err)
		return 2
	}
	p.Explicit = explicit
	p.Target = func(ctx context.Context) version.V {
		if explicit {
			return target
		}
		return DetectPodman(ctx, p.Env)
	}
	if tuneGC {
		TuneGC(p.Env.LookupEnv)
	}
	if err := Run(p, f, fs.Args()); err != nil {
		if !errors.Is(err, generate.ErrFailed) {
			fmt.Fprintf(stderr, "%s: %v\n", fs.Name(), err)
		}
		return 1
	}
	return 0
}

// growStack grows the goroutine's stack to the size a generator run needs
// while it is still shallow. Grown later, deep in the compiler, each growth
// copies and adjusts every frame: the growths were ~140 K instructions, a
// tenth of a 5-unit run. (Without garbage collection the stack never
// shrinks back.) The frame's use depends on n so that it stays.
//
//go:noinline
func growStack(n int) byte {
	var frame [24 << 10]byte
	frame[n%len(frame)] = 1
	return frame[(n*7)%len(frame)]
}

// EnvTarget is the podman version $BERTH_PODMAN_VERSION asks for; ok is
// false when it is unset or empty.
func EnvTarget(lookup func(string) (string, bool)) (v version.V, ok bool, err error) {
	if lookup == nil {
		return version.V{}, false, nil
	}
	spec, _ := lookup("BERTH_PODMAN_VERSION")
	if spec == "" {
		return version.V{}, false, nil
	}
	v, err = version.Parse(spec)
	if err != nil {
		return version.V{}, false, fmt.Errorf("BERTH_PODMAN_VERSION: %w", err)
	}
	return v, true, nil
}

// DetectPodman is the installed podman's version for the generator: from
// berth's version cache when it describes the installed binary, else from
// `podman --version`; the newest release berth knows when podman cannot
// be asked. A generator never writes the cache (it must not write outside
// its output folders, and /var may not be mounted yet).
func DetectPodman(ctx context.Context, env quadlet.Env) version.V {
	lookup := env.LookupEnv
	if lookup == nil {
		lookup = func(string) (string, bool) { return "", false }
	}
	c := podman.New()
	c.Path = PodmanBinary(env)
	cache := podman.VersionCache{File: podman.DefaultVersionCacheFile(os.Geteuid(), lookup), ReadOnly: true}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if v, err := c.CachedBinaryVersion(ctx, cache); err == nil && !v.IsZero() {
		return v
	}
	return version.Latest
}

// PodmanBinary is $PODMAN, which podman's generator uses for the podman in
// Exec lines; "" means the default /usr/bin/podman.
func PodmanBinary(env quadlet.Env) string {
	if env.LookupEnv == nil {
		return ""
	}
	p, _ := env.LookupEnv("PODMAN")
	return p
}

// HostPathExists tells the compiler which devices exist (AddDevice=-/dev/x),
// as podman's generator checks the host it runs on.
func HostPathExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// TuneGC turns the garbage collector off up to a memory limit, unless
// GOGC or GOMEMLIMIT say otherwise: a generator run is short and allocates
// a few tens of megabytes, so collecting only costs time. It reports
// whether it changed anything. Only a real process calls it (tests share
// one runtime).
func TuneGC(lookup func(string) (string, bool)) bool {
	if lookup != nil {
		_, gogc := lookup("GOGC")
		_, limit := lookup("GOMEMLIMIT")
		if gogc || limit {
			return false
		}
	}
	debug.SetMemoryLimit(256 << 20)
	debug.SetGCPercent(-1)
	return true
}

// manifestName is the file in which `berth install` records what it
// installed (systemd.ManifestName; the test checks they agree).
const manifestName = ".berth-manifest.json"

// recordedPodman is the podman version `berth install` recorded in the
// manifest of a stack installed in one of dirs (zero when none has one).
// The user generator reads it instead of running `podman --version`: run by
// the user manager during daemon-reload, rootless podman asks that same
// manager over D-Bus for a scope for its pause process and waits until the
// probe times out (15 s), then berth would compile for the newest podman.
//
// It reads the one field itself rather than through internal/systemd,
// which links os/user and with it cgo and the C library's start-up (the
// test reads a manifest systemd.WriteManifest wrote).
func recordedPodman(dirs []string) version.V {
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, manifestName))
		if err != nil {
			continue
		}
		var m struct {
			Podman string `json:"podman_version"`
		}
		if json.Unmarshal(data, &m) != nil || m.Podman == "" {
			continue
		}
		if v, err := version.Parse(m.Podman); err == nil {
			return v
		}
	}
	return version.V{}
}
