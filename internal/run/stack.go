// Package run runs a stack's compiled units without systemd: observe what
// podman has, plan what to start, stop or keep, and execute the plan with
// systemd's semantics (internal/systemd), in dependency order and in
// parallel.
//
// Restarts are berth's own supervisor, not podman's --restart policy:
// quadlet units run containers with --rm, which podman refuses to combine
// with --restart, and Restart= applies to the whole unit (ExecStop,
// ExecStopPost, RestartSec, start limits, then ExecStartPre...ExecStartPost
// again), which only a unit runner can honour. Podman's periodic health
// checks also need systemd timers, so without systemd something must run
// `podman healthcheck run` anyway: the same supervisor does it.
package run

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Labels berth puts on the containers it starts, so that it finds them again.
const (
	LabelProject = "io.berth.project"
	LabelService = "io.berth.service"
	LabelHash    = "io.berth.unit-hash"
)

// Kind of podman object a unit manages.
type Kind string

// Kinds.
const (
	KindContainer Kind = "container"
	KindNetwork   Kind = "network"
	KindVolume    Kind = "volume"
	KindImage     Kind = "image"
	KindBuild     Kind = "build"
	KindPod       Kind = "pod"
	KindKube      Kind = "kube"
	KindOther     Kind = "other"
)

// Unit is one compiled service of a stack.
type Unit struct {
	Service  string // user-facing name: the quadlet file's base name ("db")
	Source   string // the quadlet file name ("db.container")
	Name     string // the systemd unit ("db.service")
	Kind     Kind
	Resource string // container, network, volume or image name, specifiers expanded
	Hash     string // of the compiled unit text, comments aside
	Text     string // the compiled unit, as compiled
	Svc      *sd.Service
	// Keys digest the quadlet keys it was compiled from (sourceKeys);
	// Inputs what it reads at start (Stack.Fingerprint). Both say what
	// changed in a plan.
	Keys   map[string]string
	Inputs map[string]string
	// NameKey is the key that names Resource explicitly (ContainerName=,
	// NetworkName=, VolumeName=, PodName=) and NamePos where; "" when the
	// name is berth's default for the project.
	NameKey string
	NamePos diag.Pos
	Project string // the project whose label its objects carry
}

// Stack is a project's compiled units.
type Stack struct {
	Project string
	Dir     string
	// Declared are services the project declares but does not run now
	// (compose services whose profile is inactive): their containers are
	// the project's, not orphans, and down removes them, as docker
	// compose's does.
	Declared map[string]bool
	// ConfigFiles are a compose project's files, recorded for ls.
	ConfigFiles []string
	Units       []*Unit // in name order
	byName      map[string]*Unit
}

// LoadStack compiles the quadlet files in dir for the target podman.
func LoadStack(dir, project string, target version.V, host *sd.Host) (*Stack, diag.List, error) {
	units, diags := quadlet.Load([]string{dir})
	if diags.HasErrors() {
		return nil, diags, nil
	}
	st, more, err := CompileStack(dir, project, units, target, host, nil)
	return st, append(diags, more...), err
}

// CompileStack compiles quadlet units (read from a folder or made in memory,
// as from a compose file) for the target podman. names gives user-facing
// service names to quadlet files ("shop-web.container" → "web"); files not
// in it are named by their base name.
func CompileStack(dir, project string, units []*quadlet.Unit, target version.V, host *sd.Host,
	names map[string]string) (*Stack, diag.List, error) {
	return compileStack(dir, project, units, target, host, names, NamePrefix(project))
}

// compileStack compiles with prefix for the names units leave unset: the
// executor's project prefix, or "" for podman's own (an installed stack,
// whose units podman's generator or berth's compiles).
func compileStack(dir, project string, units []*quadlet.Unit, target version.V, host *sd.Host,
	names map[string]string, prefix string) (*Stack, diag.List, error) {
	res := quadlet.Compile(units, quadlet.Options{Target: target, User: host.User, Strict: true, HostFile: fileExists,
		NamePrefix: prefix})
	if res.Diags.HasErrors() {
		return nil, res.Diags, nil
	}
	st, err := newStack(dir, project, res, host, names)
	return st, res.Diags, err
}

// NewStack builds a stack from compiled services.
func NewStack(dir, project string, res *quadlet.Result, host *sd.Host) (*Stack, error) {
	return newStack(dir, project, res, host, nil)
}

func newStack(dir, project string, res *quadlet.Result, host *sd.Host, names map[string]string) (*Stack, error) {
	st := &Stack{Project: project, Dir: dir, byName: map[string]*Unit{}}
	stems := map[string]int{}
	for _, s := range res.Services {
		stems[stem(s.Source.Name)]++
	}
	for _, s := range res.Services {
		text := s.File.String()
		u := &Unit{Source: s.Source.Name, Name: s.Name, Kind: kindOf(s.Source.Name), Text: text, Hash: unitHash(text)}
		if k := quadlet.KindOf(s.Source.Name); k != nil {
			u.Keys = sourceKeys(s.Source.File, k.Group)
		}
		u.Service = stem(s.Source.Name)
		if stems[u.Service] > 1 {
			u.Service = s.Source.Name
		}
		if n := names[s.Source.Name]; n != "" {
			u.Service = n
		}
		u.NameKey, u.NamePos = explicitName(s.Source, u.Kind)
		if err := u.load(s.File, host, res.Infos[s.Source.Name], project); err != nil {
			return nil, err
		}
		st.Units = append(st.Units, u)
		st.byName[u.Name] = u
	}
	sort.Slice(st.Units, func(i, j int) bool { return st.Units[i].Name < st.Units[j].Name })
	return st, nil
}

// load parses the compiled unit and adapts it to running without systemd.
func (u *Unit) load(f *unitfile.File, host *sd.Host, info *quadlet.Info, project string) error {
	svc, err := sd.Load(f, u.Name, host)
	if err != nil {
		return fmt.Errorf("%s: %w", u.Name, err)
	}
	u.Svc = svc
	if info != nil && info.ResourceName != "" {
		if u.Resource, err = sd.Expand(info.ResourceName, svc.Name, host); err != nil {
			return fmt.Errorf("%s: %w", u.Name, err)
		}
	}
	adaptUnit(u, project)
	return nil
}

// adaptRun changes a `podman run` line in the three ways running without
// systemd requires, and no others:
//   - --cgroups=split puts conmon and the container below the unit's own
//     cgroup, which only exists when systemd delegates one (Delegate=yes);
//     without it podman fails ("could not find cgroup mount"), so podman's
//     default cgroup handling is used instead.
//   - labels record the project, service and compiled unit's hash, which is
//     how berth recognises its containers and unchanged ones on the next up.
//   - --rm is dropped: under systemd the journal keeps the output of a
//     container that ended; without it the ended container is its only log.
//     It is kept, as docker compose keeps it, until the unit is stopped
//     (ExecStop's podman rm), started again (--replace) or `berth down`.
func adaptRun(c *sd.Command, labels map[string]string) {
	i := podmanVerb(c.Argv, "run")
	if i < 0 {
		return
	}
	argv := make([]string, 0, len(c.Argv)+2*len(labels))
	argv = append(argv, c.Argv[:i+1]...)
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		argv = append(argv, "--label", k+"="+labels[k])
	}
	for j, a := range c.Argv[i+1:] {
		if a == "--rm" && j < 4 { // quadlet writes --name NAME --replace --rm first
			continue
		}
		if a == "--cgroups=split" {
			continue
		}
		if a == "--cgroups" && i+2+j < len(c.Argv) && c.Argv[i+2+j] == "split" {
			continue // the value is dropped below
		}
		if a == "split" && j > 0 && c.Argv[i+j] == "--cgroups" {
			continue
		}
		argv = append(argv, a)
	}
	c.Argv = argv
}

// podmanVerb returns the index of verb in a podman command line (after
// global flags), or -1 when argv is not `podman ... verb`.
func podmanVerb(argv []string, verb string) int {
	if len(argv) < 2 || filepath.Base(argv[0]) != "podman" {
		return -1
	}
	for i := 1; i < len(argv); i++ {
		if argv[i] == verb {
			return i
		}
		if !strings.HasPrefix(argv[i], "-") {
			return -1
		}
	}
	return -1
}

// Unit returns the unit of a systemd name, a service name or a file name.
func (s *Stack) Unit(name string) *Unit {
	if u := s.byName[name]; u != nil {
		return u
	}
	for _, u := range s.Units {
		if u.Service == name || u.Source == name {
			return u
		}
	}
	return nil
}

// Resolve maps user-given service names to units.
func (s *Stack) Resolve(names []string) ([]*Unit, error) {
	var out []*Unit
	for _, n := range names {
		u := s.Unit(n)
		if u == nil {
			return nil, fmt.Errorf("no service %q in this stack (services: %s)", n, strings.Join(s.ServiceNames(), ", "))
		}
		out = append(out, u)
		out = append(out, s.replicas(u)...)
	}
	return out, nil
}

// replicas are the other containers of a scaled compose service: the units
// named SERVICE-2, SERVICE-3, ... from the same compose service.
func (s *Stack) replicas(u *Unit) []*Unit {
	var out []*Unit
	if u.Kind != KindContainer {
		return nil
	}
	for _, o := range s.Units {
		rest, ok := strings.CutPrefix(o.Service, u.Service+"-")
		if ok && o.Kind == KindContainer && rest != "" && strings.Trim(rest, "0123456789") == "" &&
			strings.TrimSuffix(o.Source, "-"+rest+".container") == strings.TrimSuffix(u.Source, ".container") {
			out = append(out, o)
		}
	}
	return out
}

// serviceOf maps a container's service label to a service of the stack: a
// replica the stack no longer runs (SERVICE-4 after scaling down to 3)
// still belongs to SERVICE, not to no one.
func (s *Stack) serviceOf(label string) string {
	if s.Unit(label) != nil {
		return label
	}
	if i := strings.LastIndexByte(label, '-'); i > 0 && strings.Trim(label[i+1:], "0123456789") == "" && i+1 < len(label) {
		if u := s.Unit(label[:i]); u != nil && u.Kind == KindContainer {
			return label[:i]
		}
	}
	return label
}

// ServiceNames lists the user-facing names.
func (s *Stack) ServiceNames() []string {
	var out []string
	for _, u := range s.Units {
		out = append(out, u.Service)
	}
	return out
}

func stem(file string) string {
	return strings.TrimSuffix(file, filepath.Ext(file))
}

func kindOf(file string) Kind {
	switch filepath.Ext(file) {
	case ".container":
		return KindContainer
	case ".network":
		return KindNetwork
	case ".volume":
		return KindVolume
	case ".image":
		return KindImage
	case ".build":
		return KindBuild
	case ".pod":
		return KindPod
	case ".kube":
		return KindKube
	}
	return KindOther
}

func concatCmds(lists ...[]*sd.Command) []*sd.Command {
	var out []*sd.Command
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
