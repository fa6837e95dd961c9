// Package generate is berth's systemd generator: it loads the quadlet units
// of the search path, compiles them and writes the services, with the links
// that enable them, into the generator's output folder, as podman's
// podman-system-generator and podman-user-generator do. Each service is
// written atomically, and a unit that fails to compile never stops the
// others from being written.
package generate

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
)

// ErrFailed is returned when any unit or file could not be processed. The
// problems have been logged already.
var ErrFailed = errors.New("processing encountered some errors")

// Config is one generator run.
type Config struct {
	Dirs   []string // search path, most important folder first
	Output string   // the output folder (systemd's "normal" folder); unused in dry-run
	// Late is systemd's "late" folder, whose units any other unit of the
	// same name overrides: support units go there ("" means Output).
	Late string
	// Durable flushes what is written to disk. A generator's output needs
	// no flush (it is rebuilt at every boot and daemon-reload, into /run);
	// output that is moved somewhere permanent (berth install --user
	// compiling into ~/.config/systemd/user) does.
	Durable bool
	DryRun  bool            // print the services to Stdout instead of writing them
	Options quadlet.Options // compilation target
	Argv0   string          // the program named in each unit's header comment
	Stdout  io.Writer       // where dry-run prints
	Log     *Logger
}

// Run runs the generator. It returns ErrFailed when anything failed; the
// services that could be made are written all the same.
func Run(cfg Config) error {
	g := &run{cfg: cfg, log: cfg.Log}
	if !cfg.DryRun {
		g.log.Debugf("Starting quadlet-generator, output to: %s", cfg.Output)
	}
	units, diags := quadlet.LoadParallel(cfg.Dirs, 0)
	g.logLoading(units, diags)
	if len(units) == 0 {
		g.log.Debugf("No files parsed from %s", cfg.Dirs)
		return g.finish()
	}
	if !cfg.DryRun {
		if err := os.MkdirAll(cfg.Output, 0o755); err != nil {
			g.errorf("%v", err)
			return g.finish()
		}
	}
	var stage *atomicfile.Staging
	if !cfg.DryRun {
		stage = atomicfile.NewStaging(cfg.Output, len(units), atomicfile.Batch{Workers: writeWorkers, Volatile: !cfg.Durable})
	}
	// Compiled in podman's conversion order: a dry run prints the services
	// in it as they come (printer).
	order := conversionOrder(units)
	inOrder := make([]*quadlet.Unit, len(order))
	for k, i := range order {
		inOrder[k] = units[i]
	}
	workers := runtime.GOMAXPROCS(0)
	out := newOutputs(len(units), workers, stage, cfg.Argv0, cfg.Options)
	out.order = order
	out.direct = !cfg.Durable // a durable file is flushed before it is renamed
	if cfg.DryRun {
		out.printer = newPrinter(cfg.Stdout, inOrder)
	}
	res := quadlet.CompileEach(inOrder, cfg.Options, workers, out.take)
	g.emit(units, order, res, out)
	return g.finish()
}

type run struct {
	cfg    Config
	log    *Logger
	failed bool
}

func (g *run) errorf(format string, args ...any) {
	g.log.Logf(format, args...)
	g.failed = true
}

func (g *run) finish() error {
	if !g.failed {
		return nil
	}
	g.log.Logf("%s", ErrFailed)
	return ErrFailed
}

// logLoading reports what was read and what could not be.
func (g *run) logLoading(units []*quadlet.Unit, diags diag.List) {
	if g.log.Debug { // podman's -v and -dryrun; a boot-time run skips the walk
		for _, u := range units {
			g.log.Debugf("Loading source unit file %s", u.Path)
		}
		for _, u := range units {
			if !u.File.Merged() {
				continue // no drop-ins: spares a walk over every line
			}
			for _, f := range SourceFiles(u)[1:] {
				g.log.Debugf("Loading source drop-in file %s", f)
			}
		}
	}
	for _, d := range diags {
		if d.Severity == diag.Error {
			g.errorf("error loading %q, %s", d.Pos.File, describeLoad(d))
		} else {
			g.log.Logf("Warning: %s", describe(d))
		}
	}
}

// emit reports each unit's problems and the services compiled (out), unit
// by unit in the order podman converts them: the services were formatted,
// and written to temporary files, as they were compiled; here they are
// renamed into place (or printed), and messages and [Install] links follow
// in order, so the result does not depend on scheduling.
func (g *run) emit(units []*quadlet.Unit, order []int, res *quadlet.Result, out *outputs) {
	byUnit, orphans := attribute(units, res.Diags)
	done := make([]int, 0, len(units)) // indexes of the compiled units, in order
	for _, i := range order {
		if out.svcs[i].ok {
			done = append(done, i)
		}
	}
	collided := g.warnCollisions(units, out, done)
	var writeErrs []error // by unit index
	if !g.cfg.DryRun {
		writeErrs = out.commit(done, collided)
	}
	var links []Link
	var support []quadlet.SupportUnit
	for _, i := range order {
		u := units[i]
		g.logUnit(u, append(Lint(u), byUnit[i]...))
		o := &out.svcs[i]
		switch {
		case !o.ok && !byUnit[i].HasErrors():
			g.errorf("converting %q: the unit was not converted", u.Name)
		case o.ok && !g.cfg.DryRun:
			links = append(links, g.finishWrite(o, writeErrs[i])...)
		}
		if o.ok && support == nil {
			support = o.support
		}
	}
	for _, d := range orphans {
		g.logOrphan(d)
	}
	if g.cfg.DryRun {
		if err := out.printer.finish(); err != nil {
			g.errorf("writing the units: %v", err)
		}
		if err := DryRunSupport(g.cfg.Stdout, support); err != nil {
			g.errorf("writing the units: %v", err)
		}
		return
	}
	g.writeSupport(support)
	dirs, problems := makeLinks(g.cfg.Output, links, writeWorkers)
	for _, p := range problems {
		g.log.Logf("%s", p)
	}
	if g.cfg.Durable {
		if err := SyncDirs(append([]string{g.cfg.Output}, dirs...)); err != nil {
			g.errorf("%v", err)
		}
	}
}

// conversionOrder lists unit indexes in podman's conversion order: by kind,
// resources first. podman sorts with sort.Slice, which does not keep the
// order of equal kinds; the same call on the same input gives the same
// order, and that order decides which of two units generating the same
// service (web.container and web.kube) is written last and wins.
func conversionOrder(units []*quadlet.Unit) []int {
	order := make([]int, len(units))
	kinds := make([]int, len(units)) // by unit index, rather than a KindOf per comparison
	for i := range order {
		order[i] = i
		kinds[i] = kindOrder(units[i])
	}
	sort.Slice(order, func(a, b int) bool { return kinds[order[a]] < kinds[order[b]] })
	return order
}

// warnCollisions warns about units generating the same service (done:
// the compiled units' indexes, in conversion order), and reports whether
// any did.
func (g *run) warnCollisions(units []*quadlet.Unit, out *outputs, done []int) bool {
	var first map[string]int // made for the first shared name: most runs have none
	collided := false
	for _, i := range done {
		if !out.svcs[i].shared {
			continue
		}
		if first == nil {
			first = map[string]int{}
		}
		name := out.svcs[i].name
		if f, ok := first[name]; ok {
			g.log.Logf("Warning: %s and %s both generate %s; %s is the one kept (converted last)",
				units[f].Name, units[i].Name, name, units[i].Name)
			collided = true
			continue
		}
		first[name] = i
	}
	return collided
}

func kindOrder(u *quadlet.Unit) int {
	if k := quadlet.KindOf(u.Name); k != nil {
		return k.Order
	}
	return 0
}

// logUnit logs a unit's warnings, then its errors.
func (g *run) logUnit(u *quadlet.Unit, diags diag.List) {
	for _, d := range diags {
		if d.Severity != diag.Error {
			g.log.Logf("Warning: %s", describe(d))
		}
	}
	for _, d := range diags {
		if d.Severity == diag.Error {
			g.errorf("converting %q: %s", u.Name, describe(d))
		}
	}
}

func (g *run) logOrphan(d diag.Diagnostic) {
	if d.Severity == diag.Error {
		g.errorf("%s", d.String())
	} else {
		g.log.Logf("Warning: %s", describe(d))
	}
}

// finishWrite reports the written service and returns the links it needs.
func (g *run) finishWrite(o *output, err error) []Link {
	// Paths are joined only for messages that are written: a boot-time
	// run logs none of the debug ones, for a thousand units.
	if g.log.Debug {
		g.log.Debugf("writing %q", filepath.Join(g.cfg.Output, o.name))
	}
	if err != nil {
		g.errorf("generating service file %s: %v", filepath.Join(g.cfg.Output, o.name), err)
		return nil
	}
	for _, l := range o.links {
		if g.log.Debug {
			g.log.Debugf("Creating symlink %s -> %s", filepath.Join(g.cfg.Output, l.Path), l.Target)
		}
	}
	for _, p := range o.problems {
		g.log.Logf("%s", p)
	}
	return o.links
}
