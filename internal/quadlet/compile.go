// Package quadlet compiles quadlet units (.container .volume .network .pod
// .kube .build .image .artifact) into systemd .service units, producing for the
// same input what podman's own quadlet generator produces, for a chosen podman
// version. It reads no files and runs no commands: loading is in load.go's
// callers' hands, and the result is data.
package quadlet

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Unit is one quadlet source, drop-ins already merged.
type Unit struct {
	Name string // file name, e.g. "db.container" or "web@.container"
	Path string // absolute path of the source file ("" for in-memory units)
	File *unitfile.File
}

// Options select the compilation target.
type Options struct {
	User   bool      // compile for a user (rootless) systemd manager
	Target version.V // podman version the units must run on; zero means latest
	// Podman is the podman binary in Exec lines; default /usr/bin/podman.
	Podman string
	// Exists reports whether a host path exists (for AddDevice=-/dev/x). Nil
	// means every path exists.
	Exists func(path string) bool
	// Strict also reports, as errors, what podman's generator passes on but
	// podman or systemd refuse later, when the unit loads or starts
	// (refusals.go); such a unit is not compiled. The generator leaves it
	// off and writes what podman's writes.
	Strict bool
	// HostFile reports whether a file a unit reads when it starts exists on
	// this host (Strict: [Kube] Yaml=); nil skips that check.
	HostFile func(path string) bool
	// NamePrefix starts the names of containers, networks, volumes and pods
	// whose unit sets none (ContainerName=, NetworkName=, VolumeName=,
	// PodName=); "" means podman's "systemd-". Systemd units keep podman's
	// names; berth's executor gives each project its own prefix, so that two
	// projects with a web.container never share (and replace) a container.
	NamePrefix string
}

func (o Options) namePrefix() string {
	if o.NamePrefix == "" {
		return "systemd-"
	}
	return o.NamePrefix
}

func (o Options) podman() string {
	if o.Podman == "" {
		return "/usr/bin/podman"
	}
	return o.Podman
}

func (o Options) target() version.V {
	if o.Target.IsZero() {
		return version.Latest
	}
	return o.Target
}

// Service is a compiled unit.
type Service struct {
	Source *Unit
	Name   string // "db.service"
	File   *unitfile.File
	// Shared says another unit of the compilation generates a service of
	// the same name (set by CompileEach only, whose emit sees the services
	// in no particular order: the last in conversion order is the one
	// kept).
	Shared bool
}

// Info is what other units need to know about a unit to refer to it.
type Info struct {
	ServiceName  string   // without ".service"
	ResourceName string   // podman name of the container, network, volume, image...
	podStarts    []string // for pods: services of containers that start with it
	serviceFile  string   // ServiceName + ".service", made once: every reference asks for it
	// container is a container's unresolved name (containerName), made once.
	container string
}

// ServiceFile is the systemd unit name.
func (i *Info) ServiceFile() string {
	if i.serviceFile != "" {
		return i.serviceFile
	}
	return i.ServiceName + ".service"
}

// Result holds the compiled services (in input order, failed units left out)
// and every diagnostic.
type Result struct {
	Services []*Service
	Diags    diag.List
	Infos    map[string]*Info
}

// Compile compiles units. Every unit is tried: one bad unit does not stop the
// others, and each problem is reported with the file and line it comes from.
func Compile(units []*Unit, opts Options) *Result { return CompileParallel(units, opts, 1) }

// CompileParallel is Compile converting the units on up to workers
// goroutines (<= 0: one per CPU); the result is Compile's, diagnostics in
// the same order.
//
// Units are converted in waves of equal Kind.Order, one wave after the
// other, as Compile converts them in that order: a conversion reads other
// units only through their Info, and writes only its own Info's
// ResourceName (images, artifacts, networks, volumes), which units of later
// waves read (a container, a network's name), and the pod a container
// starts with, which pods (the last wave) read. Within a wave no unit reads
// what another of the wave writes, so its units can be converted at once,
// and each wave's results are put in order before the next wave starts.
func CompileParallel(units []*Unit, opts Options, workers int) *Result {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return compileWaves(units, opts, workers, eachBlock, nil)
}

// CompileEach is CompileParallel handing each service to emit as soon as it
// is compiled, instead of returning it in Result.Services (which stays
// empty): emit(w, i, svc) runs on the goroutine that converted units[i]
// (w, 0 <= w < workers, numbers the goroutines: no two calls with the same
// w run at once), with a nil svc when the unit did not compile (a unit of
// no known type is never converted, nor emitted), and the service's file
// and lines are reused for the next unit once emit returns. emit must
// format, write or read what it needs of svc.File and keep neither svc nor
// its file: a generator then needs the memory of a unit per goroutine
// instead of a thousand units'.
//
// Units are converted in waves (CompileParallel), each wave's in the order
// of units, handed out to the goroutines in blocks of consecutive units:
// given units sorted by Kind.Order, a caller that needs the services in
// that order (a dry run printing them) keeps few of them waiting for their
// turn. Options.Strict's checks of the whole stack need every service at
// once: CompileEach refuses Strict (it panics).
func CompileEach(units []*Unit, opts Options, workers int, emit func(w, i int, svc *Service)) *Result {
	if opts.Strict {
		panic("quadlet.CompileEach: Options.Strict needs every service at once; use CompileParallel")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return compileWaves(units, opts, workers, eachBlock, emit)
}

// compileWaves is CompileParallel, or CompileEach when emit is set, with
// the scheduler of each wave's conversions (eachBlock; tests pass others).
func compileWaves(units []*Unit, opts Options, workers int, each func(n int, states []*convState, fn func(*convState, int)), emit func(w, i int, svc *Service)) *Result {
	res := &Result{Infos: make(map[string]*Info, len(units))}
	ordered := make([]kindUnit, 0, len(units))
	for i, u := range units {
		k := KindOf(u.Name)
		if k == nil {
			res.Diags.Errorf(diag.Pos{File: u.displayPath()}, "unsupported-type", "unsupported file type %q", u.Name)
			continue
		}
		ordered = append(ordered, kindUnit{u, k, i})
	}
	sort.SliceStable(ordered, func(i, j int) bool { return ordered[i].k.Order < ordered[j].k.Order })
	var names map[string]int // CompileEach: how many units generate each service
	if emit != nil {
		names = make(map[string]int, len(ordered))
	}
	for _, o := range ordered {
		info := newInfo(o.u, opts.namePrefix())
		res.Infos[o.u.Name] = info
		if names != nil {
			names[info.ServiceFile()]++
		}
	}
	outs := make([]converted, len(ordered))
	states := make([]*convState, max(1, workers))
	for i := range states {
		states[i] = &convState{w: i, argv: new(argSlab), lines: new(unitfile.Lines)}
	}
	var byName map[string]*Service // CompileParallel: the services, to list in input order
	if emit == nil {
		byName = make(map[string]*Service, len(ordered))
	}
	for start := 0; start < len(ordered); {
		end := start + 1
		for end < len(ordered) && ordered[end].k.Order == ordered[start].k.Order {
			end++
		}
		wave, out := ordered[start:end], outs[start:end]
		each(len(wave), states, func(st *convState, i int) {
			out[i] = st.convert(wave[i], opts, res.Infos)
			switch {
			case emit == nil:
			case out[i].svc == nil:
				emit(st.w, wave[i].i, nil)
			default:
				// As CompileParallel's finishPod below: the pods are the
				// last wave, the containers that start with them known.
				finishPod(out[i].svc, res.Infos[wave[i].u.Name])
				out[i].svc.Shared = names[out[i].svc.Name] > 1
				emit(st.w, wave[i].i, out[i].svc)
				out[i].svc = st.emitted(out[i].svc)
			}
		})
		for i, o := range out {
			res.Diags = append(res.Diags, o.diags...)
			if o.svc == nil {
				continue
			}
			if byName != nil {
				byName[wave[i].u.Name] = o.svc
			}
			// As in podman, a pod starts only the containers that compiled
			// (pods are compiled after containers: see Kind.Order).
			if p := o.startsWithPod; p != nil {
				p.podStarts = append(p.podStarts, res.Infos[wave[i].u.Name].ServiceFile())
			}
		}
		start = end
	}
	if emit != nil {
		return res
	}
	res.Services = make([]*Service, 0, len(byName))
	for _, u := range units {
		if svc := byName[u.Name]; svc != nil {
			finishPod(svc, res.Infos[u.Name])
			svc.File.UseLines(nil) // the shared blocks stay with this call
			res.Services = append(res.Services, svc)
		}
	}
	if opts.Strict {
		res.Diags = append(res.Diags, orderingCycles(res.Services)...)
	}
	return res
}

type kindUnit struct {
	u *Unit
	k *Kind
	i int // index in Compile's units
}

// converted is what one unit's conversion gives.
type converted struct {
	svc           *Service
	diags         diag.List
	startsWithPod *Info
}

// convState is one goroutine's conversion state, used by unit after unit:
// nothing keeps it past a unit's conversion (command lines die with it;
// diagnostics are handed out).
type convState struct {
	w     int // its number, for CompileEach's emit
	c     ctx
	argv  *argSlab
	lines *unitfile.Lines // the blocks its services' new lines come from
	done  *Service        // CompileEach: the service each emitted one becomes
}

func (st *convState) convert(o kindUnit, opts Options, infos map[string]*Info) converted {
	c := &st.c
	*c = ctx{unit: o.u, src: o.u.File, kind: o.k, opts: opts, infos: infos, info: infos[o.u.Name], argv: st.argv, lines: st.lines,
		spareAssigned: c.assigned, // the last unit's, for checkKeys to reuse
		kvs:           c.kvs[:0]}
	svc := c.convert()
	st.argv.reset()
	return converted{svc: svc, diags: c.diags, startsWithPod: c.startsWithPod}
}

// emitted recycles what svc, just handed to CompileEach's emit, holds,
// and returns what stands for it in its wave's results: a service with
// neither file nor source (the wave's loop only looks whether there is
// one).
func (st *convState) emitted(svc *Service) *Service {
	st.lines.Reset()
	*svc = Service{}
	if st.done == nil {
		st.done = svc
	}
	return st.done
}

// minPerConverter is the fewest units worth another goroutine: for fewer,
// starting it (and maybe an OS thread) costs more than it saves.
const minPerConverter = 32

// eachBlock calls fn(state, i) for i in 0..n-1, handing out blocks of
// indexes to a goroutine per state (at least minPerConverter units each).
func eachBlock(n int, states []*convState, fn func(*convState, int)) {
	workers := min(len(states), n/minPerConverter)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			fn(states[0], i)
		}
		return
	}
	const block = 8
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(st *convState) {
			defer wg.Done()
			for {
				lo := int(next.Add(block)) - block
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+block, n); i++ {
					fn(st, i)
				}
			}
		}(states[w])
	}
	wg.Wait()
}

func (u *Unit) displayPath() string {
	if u.Path != "" {
		return u.Path
	}
	return u.Name
}

// newInfo computes the names a unit is known by before any conversion.
func newInfo(u *Unit, prefix string) *Info {
	k := KindOf(u.Name)
	info := &Info{ServiceName: serviceName(u, k)}
	info.serviceFile = info.ServiceName + ".service"
	switch k {
	case &containerKind:
		info.container = containerName(u, prefix)
		info.ResourceName = containerResourceName(info.container, info.ServiceName)
	case &buildKind:
		if tags := u.File.All(k.Group, "ImageTag"); len(tags) > 0 {
			info.ResourceName = tags[0]
		}
	case &podKind:
		info.ResourceName = resourceName(u, k.Group, "PodName", prefix)
	}
	return info
}

// serviceName is ServiceName= or the file's base name plus the kind's suffix,
// "foo@.volume" becoming "foo-volume@".
func serviceName(u *Unit, k *Kind) string {
	if name, ok := u.File.Lookup(k.Group, "ServiceName"); ok {
		return name
	}
	base, suffix := stem(u.Name), k.ServiceSuffix
	if strings.HasSuffix(base, "@") {
		base = strings.TrimSuffix(base, "@")
		suffix += "@"
	}
	return base + suffix
}

// containerName is the unresolved container name, which may hold specifiers;
// prefix starts a default name ("systemd-").
func containerName(u *Unit, prefix string) string {
	if name, ok := u.File.Lookup("Container", "ContainerName"); ok && name != "" {
		return name
	}
	if strings.Contains(u.Name, "@") {
		if prefix == "systemd-" {
			return "systemd-%p_%i" // the default, without a concatenation
		}
		return prefix + "%p_%i"
	}
	if prefix == "systemd-" {
		return "systemd-%N"
	}
	return prefix + "%N"
}

// containerName is containerName(c.unit, ...), as newInfo made it.
func (c *ctx) containerName() string {
	if c.info != nil && c.info.container != "" {
		return c.info.container
	}
	return containerName(c.unit, c.opts.namePrefix())
}

// containerResourceName resolves %N in the container name; a name with other
// specifiers cannot be known before systemd runs, and is "".
func containerResourceName(container, service string) string {
	name := strings.ReplaceAll(container, "%N", service)
	if strings.Contains(name, "%") {
		return ""
	}
	return name
}

// resourceName is the value of key, or prefix ("systemd-") plus the base
// name, with templates named per instance.
func resourceName(u *Unit, group, key, prefix string) string {
	if name, ok := u.File.Lookup(group, key); ok && name != "" {
		return name
	}
	name := prefix + stem(u.Name)
	if strings.Contains(u.Name, "@") {
		name = strings.TrimSuffix(name, "@") + "-%i"
	}
	return name
}

// ctx is the state of one unit's conversion.
type ctx struct {
	unit  *Unit
	src   *unitfile.File
	kind  *Kind
	opts  Options
	infos map[string]*Info
	info  *Info
	svc   *unitfile.File
	diags diag.List
	// assigned marks, by index in the kind's key table, the keys the unit's
	// group assigns (checkKeys fills it): most of a table's keys are unset,
	// and this spares looking each one up in the file.
	assigned []bool
	// entries are the lines of the unit's group (checkKeys), which present
	// scans when they are few.
	entries []*unitfile.Line
	// hasQuadlet says the unit has lines in a [Quadlet] group (checkKeys).
	hasQuadlet bool
	// spareAssigned is the previous unit's assigned, which checkKeys
	// reuses: nothing keeps it past its unit's conversion.
	spareAssigned []bool
	// kvs is the list keyVals reads into, reused key after key and unit
	// after unit (each list is used up before the next is read).
	kvs []unitfile.KeyVal
	// startsWithPod is the pod a container starts with (Pod=, and
	// StartWithPod= not false).
	startsWithPod *Info
	// image is a container's Image=, resolved (a .image or .build reference
	// becomes its image name) before the other keys, as podman does, so the
	// image unit's dependency comes first.
	image string
	// argv holds the words of the unit's command lines (argSlab).
	argv *argSlab
	// lines are the blocks the service's new lines come from, shared by
	// the services of one Compile call (unitfile.Lines).
	lines *unitfile.Lines
}

// pos is the position of the last assignment of key in the unit's group.
func (c *ctx) pos(key string) diag.Pos {
	if key != "" {
		if l := c.src.LastLine(c.kind.Group, key); l != nil {
			return l.Pos()
		}
	}
	// A section that only drop-ins provide has no position of its own: then
	// the unit's file is the place to fix (an empty web@2.container, say).
	if s := c.src.Section(c.kind.Group); s != nil && s.Pos().File != "" {
		return s.Pos()
	}
	return diag.Pos{File: c.unit.displayPath()}
}

func (c *ctx) errorf(key, code, format string, args ...any) {
	c.diags.Errorf(c.pos(key), code, format, args...)
}

func (c *ctx) warnf(key, code, format string, args ...any) {
	c.diags.Warnf(c.pos(key), code, format, args...)
}

func (c *ctx) warnAt(pos diag.Pos, code, format string, args ...any) {
	c.diags.Warnf(pos, code, format, args...)
}

// failed reports whether an error was recorded for this unit.
func (c *ctx) failed() bool { return c.diags.HasErrors() }

// convert runs the checks shared by all kinds, then the kind's converter.
func (c *ctx) convert() (svc *Service) {
	convertFn := converter(c.kind)
	if convertFn == nil {
		c.errorf("", "unsupported-type", "unsupported file type %q", c.unit.Name)
		return nil
	}
	c.checkKeys()
	if c.failed() {
		return nil
	}
	if c.opts.Strict {
		// Refusals do not stop the conversion, whose own problems are
		// reported too; the unit is dropped at the end.
		refusals := c.refusals()
		defer func() { c.diags = mergeRefusals(c.diags, refusals) }()
		if refusals.HasErrors() {
			defer func() { svc = nil }()
		}
	}
	c.warnEmptyFlags()
	c.checkFlagWords()
	for _, key := range []string{"User", "Group", "DynamicUser"} {
		if l := c.src.LastLine("Service", key); l != nil {
			c.warnAt(l.Pos(), "unsupported-service-key",
				"using key %s in the Service group is not supported - use at your own risk", key)
		}
	}
	c.initService()
	if c.failed() {
		return nil
	}
	convertFn(c)
	if c.failed() {
		return nil
	}
	return &Service{Source: c.unit, Name: c.info.ServiceFile(), File: c.svc}
}

// emptyFlagKeys are the keys podman's generator passes on even when they
// are empty: it writes the flag and an empty word, which systemd drops, so
// the next argument becomes the flag's value (LogDriver= makes the image
// the log driver). berth uses the default instead (no flag, or
// --exit-policy stop), and warns.
var emptyFlagKeys = map[string][]string{"Container": {"LogDriver"}, "Kube": {"LogDriver"}, "Volume": {"Driver"}, "Pod": {"ExitPolicy"}}

func (c *ctx) warnEmptyFlags() {
	for _, key := range emptyFlagKeys[c.kind.Group] {
		if !c.present(key) {
			continue
		}
		if v, ok := c.src.Lookup(c.kind.Group, key); ok && v == "" {
			c.warnf(key, "empty-value", "%s= is empty, so berth uses the default (podman's generator would give the flag the next argument as its value); remove the line or give a value", key)
		}
	}
}

// checkKeys reports every key its group does not know, with a suggestion,
// and every key or flag the target podman lacks.
func (c *ctx) checkKeys() {
	c.entries = c.src.Entries(c.kind.Group)
	c.assigned = c.checkGroup(c.entries, c.kind.Group, c.kind.keys, c.spareAssigned)
	c.spareAssigned = nil
	quadlet := c.src.Entries("Quadlet")
	c.hasQuadlet = len(quadlet) > 0
	if c.hasQuadlet {
		c.checkGroup(quadlet, "Quadlet", QuadletTable, nil)
	}
}

// checkGroup checks the keys of group, whose entries are lines, against t
// and returns which of t's keys are assigned, in buf when it has room (the
// previous unit's: Compile passes it on).
func (c *ctx) checkGroup(lines []*unitfile.Line, group string, t *Table, buf []bool) []bool {
	var assigned []bool
	if cap(buf) >= len(t.Keys) {
		assigned = buf[:len(t.Keys)]
		clear(assigned)
	} else {
		assigned = make([]bool, len(t.Keys))
	}
	for _, l := range lines {
		i, ok := t.pos(l.Key)
		if !ok {
			d := diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: "unknown-key",
				Message: fmt.Sprintf("unsupported key '%s' in group '%s' in %s", l.Key, group, c.unit.displayPath())}
			if s := Suggest(l.Key, t.Names()); s != "" {
				d.Hint = fmt.Sprintf("did you mean %s?", s)
			}
			c.diags.Add(d)
			continue
		}
		assigned[i] = true
		if k := &t.Keys[i]; !k.Needs.IsZero() && !c.opts.target().AtLeast(k.Needs) && l.Value != "" {
			c.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Error, Code: "too-new",
				Message: fmt.Sprintf("key %s needs podman %s or newer; the target is podman %s", l.Key, k.Needs, c.opts.target()),
				Hint:    fmt.Sprintf("remove %s, or target a newer podman with --podman-version", l.Key)})
		}
	}
	return assigned
}

// initService starts the service as a copy of the source, as podman does:
// [Unit], [Service] and [Install] pass through, the type's group is kept as
// X-<Group> for reference.
func (c *ctx) initService() {
	c.svc = c.src.CloneRoomFrom(c.lines, serviceRoom)
	c.svc.Path = c.info.ServiceFile()
	c.translateDependencies()
	c.defaultDependencies()
	if c.unit.Path != "" {
		c.svc.Add("Unit", "SourcePath", c.unit.Path)
	}
	c.svc.Add("Unit", "RequiresMountsFor", "%t/containers")
	c.svc.RenameSection(c.kind.Group, c.kind.XGroup())
	c.svc.RenameSection("Quadlet", "X-Quadlet")
}

// serviceRoom is the room CloneRoom leaves in a service's sections for
// the lines the compiler adds: a container's [Unit] gets 8 or more
// (dependencies, SourcePath, RequiresMountsFor), its [Service] 9 or more
// (the Exec lines, KillMode, Type, ...); the type's own group is only
// renamed, and [Install] passes through.
func serviceRoom(section string) int {
	switch section {
	case "Unit":
		return 10
	case "Service":
		return 12
	}
	return 0
}

// dependencyKeys are the [Unit] keys whose quadlet names are translated to
// the services they become.
var dependencyKeys = []string{"After", "Before", "BindsTo", "Conflicts", "OnFailure", "OnSuccess", "PartOf",
	"PropagatesReloadTo", "PropagatesStopTo", "ReloadPropagatedFrom", "Requires", "Requisite",
	"StopPropagatedFrom", "Upholds", "Wants"}

func (c *ctx) translateDependencies() {
	if !c.hasDependencyKeys() {
		return
	}
	for _, key := range dependencyKeys {
		deps := c.src.Strv("Unit", key)
		translated := false
		out := make([]string, 0, len(deps))
		for _, dep := range deps {
			if IsQuadlet(dep) {
				info, ok := c.infos[dep]
				if !ok {
					pos := c.src.LastLine("Unit", key).Pos()
					c.diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Error, Code: "dangling-reference",
						Message: fmt.Sprintf("unable to translate dependency for %s", dep),
						Hint:    fmt.Sprintf("%s=%s names a quadlet that is not in the search path; add it or fix the name", key, dep)})
					continue
				}
				dep = info.ServiceFile()
				translated = true
			}
			out = append(out, dep)
		}
		if translated {
			c.svc.Unset("Unit", key)
			c.svc.Add("Unit", key, strings.Join(out, " "))
		}
	}
}

// hasDependencyKeys reports whether [Unit] sets any of dependencyKeys: one
// pass over its lines instead of a search per key, as most units set none.
func (c *ctx) hasDependencyKeys() bool {
	for _, s := range c.src.Sections {
		if s.Name != "Unit" {
			continue
		}
		for _, l := range s.Lines {
			if !l.Comment && slices.Contains(dependencyKeys, l.Key) {
				return true
			}
		}
	}
	return false
}

func (c *ctx) defaultDependencies() {
	if c.hasQuadlet {
		if b, ok := c.src.LookupBool("Quadlet", "DefaultDependencies"); ok && !b {
			return
		}
	}
	target := "network-online.target"
	if c.opts.User {
		target = UserWaitNetworkOnline // podman < 5.3 lacks it: see SupportFor
	}
	c.svc.PrependKey("Unit", "After", target)
	c.svc.PrependKey("Unit", "Wants", target)
}

// finishPod adds Wants=/Before= for the containers that start with a pod.
func finishPod(svc *Service, info *Info) {
	for _, s := range info.podStarts {
		svc.File.Add("Unit", "Wants", s)
		svc.File.Add("Unit", "Before", s)
	}
}

// oneshot sets the defaults of resource-creating services.
func (c *ctx) oneshot(remainAfterExit bool) {
	c.svc.SetDefault("Service", "SyslogIdentifier", "%N")
	c.svc.SetDefault("Service", "Type", "oneshot")
	if remainAfterExit {
		c.svc.SetDefault("Service", "RemainAfterExit", "yes")
	}
}

// sortKeyVals sorts by name, keeping the order of equal names. (slices'
// generic sort: sort.SliceStable's reflection allocates on every call.)
func sortKeyVals(kvs []unitfile.KeyVal) {
	slices.SortStableFunc(kvs, func(a, b unitfile.KeyVal) int { return strings.Compare(a.Key, b.Key) })
}
