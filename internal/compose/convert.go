package compose

import (
	"fmt"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Options select what the conversion produces.
type Options struct {
	// Target is the podman version the units must run on (zero: latest).
	// Keys the target's quadlet lacks are written as PodmanArgs= when podman
	// has the flag, else reported.
	Target version.V
	// Pod puts every container of the project in one .pod.
	Pod bool
}

func (o Options) target() version.V {
	if o.Target.IsZero() {
		return version.Latest
	}
	return o.Target
}

// unit is one quadlet file being built.
type unit struct {
	name string
	kind *quadlet.Kind
	f    *unitfile.File
}

// conv is the state of one project's conversion.
type conv struct {
	p       *Project
	opts    Options
	rep     *Report
	units   []*unit
	byName  map[string]*unit
	pod     *unit
	secrets map[string]bool // podman secrets already listed in rep.Commands
}

// ToUnits converts a compose project into in-memory quadlet units, sorted by
// name, and the report of what was not converted exactly. The error is
// non-nil when something cannot be expressed at all; the units are returned
// all the same so callers can show them.
func ToUnits(p *Project, opts Options) ([]*quadlet.Unit, Report, error) {
	c := &conv{p: p, opts: opts, rep: &Report{}, byName: map[string]*unit{}, secrets: map[string]bool{}}
	c.convertProject()
	c.rep.sort()
	sort.Slice(c.units, func(i, j int) bool { return c.units[i].name < c.units[j].name })
	out := make([]*quadlet.Unit, 0, len(c.units))
	for _, u := range c.units {
		out = append(out, &quadlet.Unit{Name: u.name, File: u.f})
	}
	return out, *c.rep, c.rep.Err(false)
}

// Convert is ToUnits returning the unit files, each named by its Path.
func Convert(p *Project, opts Options) ([]*unitfile.File, Report, error) {
	units, rep, err := ToUnits(p, opts)
	files := make([]*unitfile.File, len(units))
	for i, u := range units {
		files[i] = u.File
	}
	return files, rep, err
}

func (c *conv) convertProject() {
	c.projectKeys()
	if c.opts.Pod {
		c.newPod()
	}
	for _, name := range sortedKeys(c.p.Networks) {
		c.convertNetwork(name, c.p.Networks[name])
	}
	for _, name := range sortedKeys(c.p.Volumes) {
		c.convertVolume(name, c.p.Volumes[name])
	}
	for _, name := range sortedKeys(c.p.Services) {
		c.convertService(name, c.p.Services[name])
	}
	c.dependencies()
}

// projectKeys reports top-level keys that have no quadlet counterpart.
func (c *conv) projectKeys() {
	for _, name := range sortedKeys(c.p.Extensions) {
		c.note("", name, "x- extension ignored", "")
	}
	if len(c.p.Models) > 0 {
		c.dropped("", "models", "AI models are not supported by podman quadlets", "run the model server as a service")
	}
	if len(c.p.Jobs) > 0 {
		c.dropped("", "jobs", "jobs are not converted", "write them as services with restart: \"no\"")
	}
}

// newUnit starts a quadlet file of the given kind.
func (c *conv) newUnit(name string, kind *quadlet.Kind, desc string) *unit {
	u := &unit{name: name, kind: kind, f: unitfile.New(name)}
	u.f.Add("Unit", "Description", desc)
	c.units = append(c.units, u)
	c.byName[name] = u
	return u
}

// Names of the generated files. Project-prefixed so that several projects
// can live in one quadlet folder.
func (c *conv) containerFile(service string) string { return c.p.Name + "-" + service + ".container" }
func (c *conv) buildFile(service string) string     { return c.p.Name + "-" + service + ".build" }
func (c *conv) networkFile(key string) string       { return c.p.Name + "-" + key + ".network" }
func (c *conv) volumeFile(key string) string        { return c.p.Name + "-" + key + ".volume" }
func (c *conv) podFile() string                     { return c.p.Name + ".pod" }

// supports reports whether the target's quadlet knows key in kind's group
// and its podman has the flags the key emits.
func (c *conv) supports(kind *quadlet.Kind, key string) bool {
	if kind.Keys() == nil {
		return false
	}
	k, ok := kind.Keys().Lookup(key)
	return ok && c.opts.target().AtLeast(k.Since) && (k.Needs.IsZero() || c.opts.target().AtLeast(k.Needs))
}

// systemdEscaper protects values from systemd's specifier (%) and variable
// ($) expansion: quadlet values end up in ExecStart= lines.
var systemdEscaper = strings.NewReplacer("%", "%%", "$", "$$")

func esc(s string) string { return systemdEscaper.Replace(s) }

func escAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = esc(w)
	}
	return out
}

// set adds key=value to the unit's group, the value escaped for systemd.
func (u *unit) set(key, value string) { u.f.Add(u.kind.Group, key, esc(value)) }

// setRaw adds key=value unescaped: quadlet references and specifiers.
func (u *unit) setRaw(key, value string) { u.f.Add(u.kind.Group, key, value) }

// setWords adds a command-line valued key (Exec=, PodmanArgs=, Secret=...).
func (u *unit) setWords(key string, words ...string) {
	u.f.Add(u.kind.Group, key, unitfile.JoinArgs(escAll(words)))
}

// podmanArgs passes flags the quadlet has no key for.
func (u *unit) podmanArgs(words ...string) { u.setWords("PodmanArgs", words...) }

// keyOr sets key when the target supports it, else passes flag=value.
func (c *conv) keyOr(u *unit, key, value, flag string) {
	if c.supports(u.kind, key) {
		u.set(key, value)
		return
	}
	u.podmanArgs(flag + "=" + value)
}

// Report helpers. key is the compose key below the service.
func (c *conv) entry(svc, key string, sev Severity, msg, hint string) {
	path := key
	if svc != "" {
		path = "services." + svc + "." + key
	}
	c.rep.add(Entry{Service: svc, Key: key, Pos: c.p.pos.find(path), Severity: sev, Message: msg, Hint: hint})
}

func (c *conv) note(svc, key, msg, hint string) { c.entry(svc, key, Note, msg, hint) }
func (c *conv) approx(svc, key, msg, hint string) {
	c.entry(svc, key, Approximated, msg, hint)
}
func (c *conv) dropped(svc, key, msg, hint string) { c.entry(svc, key, Dropped, msg, hint) }
func (c *conv) fail(svc, key, msg, hint string)    { c.entry(svc, key, Error, msg, hint) }

// sortedKeys returns a map's keys in order: output never follows map order.
func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// resourceName is the name compose gives a network, volume or secret.
func resourceName(project, key, name string) string {
	if name != "" {
		return name
	}
	return project + "_" + key
}

func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}
