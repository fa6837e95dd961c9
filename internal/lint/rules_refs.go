package lint

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
)

// dependencyKeys are the [Unit] keys naming other units.
var dependencyKeys = []string{"After", "Before", "BindsTo", "Conflicts", "OnFailure", "OnSuccess", "PartOf",
	"PropagatesReloadTo", "ReloadPropagatedFrom", "Requires", "Requisite", "Upholds", "Wants"}

// ref is one reference from a unit to another quadlet.
type ref struct {
	from  *Unit
	line  *unitfile.Line
	to    string // "db.container"
	order bool   // from starts after to
}

// refs lists every quadlet reference of the stack: [Unit] dependencies and
// the resources quadlet keys name (Network=, Volume=, Pod=, Image=, Mount=).
func (s *Stack) refs() []ref {
	var out []ref
	for _, u := range s.Units {
		for _, l := range u.File.Entries("Unit") {
			if !slices.Contains(dependencyKeys, l.Key) {
				continue
			}
			for _, w := range strings.Fields(l.Value) {
				if quadlet.IsQuadlet(w) || s.unitByService(w) != nil {
					out = append(out, ref{u, l, w, orderingKey(l.Key)})
				}
			}
		}
		for _, l := range u.File.Entries(u.Group()) {
			for _, to := range resourceRefs(u, l) {
				out = append(out, ref{u, l, to, true})
			}
		}
	}
	return out
}

func orderingKey(k string) bool {
	return k == "After" || k == "Requires" || k == "BindsTo" || k == "Requisite"
}

// resourceRefs returns the quadlet names a resource key refers to.
func resourceRefs(_ *Unit, l *unitfile.Line) []string {
	return quadlet.ResourceRefs(l.Key, value(l))
}

// unitByService finds the unit whose service is name ("db.service").
func (s *Stack) unitByService(name string) *Unit {
	for _, u := range s.Units {
		if u.serviceName() == name {
			return u
		}
	}
	return nil
}

func (u *Unit) serviceName() string {
	if sn, ok := u.File.Lookup(u.Group(), "ServiceName"); ok && sn != "" {
		return sn + ".service"
	}
	return serviceNameOf(u.Name)
}

// target resolves a reference to a unit.
func (s *Stack) resolve(name string) *Unit {
	if u := s.Unit(name); u != nil {
		return u
	}
	return s.unitByService(name)
}

func checkRefs(s *Stack) diag.List {
	var out diag.List
	for _, r := range s.refs() {
		if s.resolve(r.to) != nil {
			continue
		}
		hint := fmt.Sprintf("add %s to the stack, or fix the name", r.to)
		if sug := quadlet.Suggest(r.to, s.namesWithExt(filepath.Ext(r.to))); sug != "" {
			hint = fmt.Sprintf("did you mean %s?", sug)
		}
		out = append(out, find(s.valuePos(r.line), hint, "%s=%s: there is no unit %s", r.line.Key, short(value(r.line)), r.to))
	}
	return out
}

func (s *Stack) namesWithExt(ext string) []string {
	var out []string
	for _, u := range s.Units {
		if filepath.Ext(u.Name) == ext {
			out = append(out, u.Name)
		}
	}
	return out
}

// checkCycles finds ordering cycles among the units: After=/Requires= on a
// quadlet, Before= the other way round, and the implicit ordering of
// Network=, Volume=, Pod=, Image=.
func checkCycles(s *Stack) diag.List {
	edges := map[*Unit][]ref{} // u -> units it starts after
	for _, r := range s.refs() {
		to := s.resolve(r.to)
		if to == nil {
			continue
		}
		if r.line.Key == "Before" {
			edges[to] = append(edges[to], ref{to, r.line, r.from.Name, true})
		} else if r.order {
			edges[r.from] = append(edges[r.from], ref{r.from, r.line, to.Name, true})
		}
	}
	var out diag.List
	reported := map[string]bool{}
	for _, start := range s.Units {
		path := s.cycleFrom(start, edges)
		if path == nil {
			continue
		}
		names := make([]string, len(path))
		for i, r := range path {
			names[i] = r.from.Name
		}
		key := canonicalCycle(names)
		if reported[key] {
			continue
		}
		reported[key] = true
		out = append(out, find(path[0].line.Pos(), "remove one of the After=/Requires=/Before= dependencies, or a resource reference",
			"dependency cycle: %s -> %s", strings.Join(names, " -> "), names[0]))
	}
	return out
}

// cycleFrom returns the edges of a cycle through start, or nil.
func (s *Stack) cycleFrom(start *Unit, edges map[*Unit][]ref) []ref {
	var path []ref
	onPath := map[*Unit]bool{}
	done := map[*Unit]bool{}
	var walk func(u *Unit) bool
	walk = func(u *Unit) bool {
		onPath[u] = true
		for _, e := range edges[u] {
			next := s.Unit(e.to)
			path = append(path, e)
			if next == start {
				return true
			}
			if next != nil && !onPath[next] && !done[next] && walk(next) {
				return true
			}
			path = path[:len(path)-1]
		}
		onPath[u], done[u] = false, true
		return false
	}
	if walk(start) {
		return path
	}
	return nil
}

// canonicalCycle names a cycle independently of where it was entered.
func canonicalCycle(names []string) string {
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	return strings.Join(sorted, ",")
}

// nameKeys are the keys naming the podman object each kind creates.
var nameKeys = map[string]string{".container": "ContainerName", ".network": "NetworkName", ".volume": "VolumeName", ".pod": "PodName"}

func checkDuplicateNames(s *Stack) diag.List {
	var out diag.List
	type first struct {
		u   *Unit
		pos diag.Pos
	}
	seen := map[string]first{}
	for _, u := range s.Units {
		key, ok := nameKeys[u.Kind.Ext]
		if !ok {
			continue
		}
		name, pos := "systemd-"+strings.TrimSuffix(u.Name, u.Kind.Ext), diag.Pos{File: u.Path, Line: 1}
		if l := u.File.LastLine(u.Group(), key); l != nil && value(l) != "" {
			name, pos = value(l), s.valuePos(l)
		}
		if hasSpecifier(name) {
			continue
		}
		id := u.Kind.Ext + "\x00" + name
		if f, dup := seen[id]; dup {
			out = append(out, find(pos, fmt.Sprintf("give one of them another %s=", key),
				"%s %q is also created by %s (%s)", strings.TrimPrefix(u.Kind.Ext, "."), short(name), f.u.Name, f.pos))
			continue
		}
		seen[id] = first{u, pos}
	}
	return out
}

// published is one host port claim.
type published struct {
	u *Unit
	l *unitfile.Line
	p Publish
}

func (s *Stack) publications() []published {
	var out []published
	for _, e := range s.keyLines([]string{"PublishPort"}, ".container", ".pod", ".kube") {
		if p, err := parsePublish(value(e.l)); err == nil && !hasSpecifier(e.l.Value) {
			out = append(out, published{e.u, e.l, p})
		}
	}
	return out
}

func checkDuplicatePorts(s *Stack) diag.List {
	var out diag.List
	pubs := s.publications()
	for i, b := range pubs {
		for _, a := range pubs[:i] {
			if overlaps(a.p, b.p) {
				out = append(out, find(s.valuePos(b.l), "publish it on another host port, e.g. PublishPort="+nextPortExample(b.p),
					"host port %s is already published by %s (%s)", b.p.HostPorts(), a.u.Name, a.l.Pos()))
				break
			}
		}
	}
	return out
}

func nextPortExample(p Publish) string {
	ip := ""
	if p.IP != "" {
		ip = p.IP + ":"
	}
	return fmt.Sprintf("%s%d:%d", ip, p.HostLo+1, p.CtrLo)
}

func checkPortInPod(s *Stack) diag.List {
	var out diag.List
	for _, e := range s.keyLines([]string{"PublishPort"}, ".container") {
		if pod, ok := e.u.File.Lookup("Container", "Pod"); ok && pod != "" {
			out = append(out, find(e.l.Pos(), "move PublishPort= to "+pod+": a pod publishes the ports of all its containers",
				"PublishPort= on a container in a pod (Pod=%s): podman refuses --publish with --pod", short(pod)))
		}
	}
	return out
}

// envFiles lists the EnvironmentFile= paths of containers and services,
// resolved against the unit's folder (in word); optional ("-path") files
// are left out.
func (s *Stack) envFiles() []keyWord {
	var out []keyWord
	for _, f := range s.keyWords("EnvironmentFile", ".container") {
		if strings.HasPrefix(f.word, "-") {
			continue
		}
		if !filepath.IsAbs(f.word) && !strings.HasPrefix(f.word, "%") {
			f.word = filepath.Join(filepath.Dir(f.e.u.Path), f.word)
		}
		out = append(out, f)
	}
	return out
}

func checkEnvFiles(s *Stack) diag.List {
	var out diag.List
	for _, f := range s.envFiles() {
		if !hasSpecifier(f.word) && !s.Exists(f.word) {
			out = append(out, find(s.valuePos(f.e.l), "create the file (NAME=value lines), fix the path, or prefix it with - if it is optional ([Service] only)",
				"EnvironmentFile %s does not exist; podman run fails without it", f.word))
		}
	}
	return out
}

func checkEnvFilesRuntime(s *Stack) diag.List {
	var out diag.List
	for _, f := range s.envFiles() {
		if hasSpecifier(f.word) {
			out = append(out, find(s.valuePos(f.e.l), "make sure it exists for the user whose systemd runs the unit",
				"EnvironmentFile %s uses a specifier systemd resolves only when the unit runs; berth cannot check it exists", f.word))
		}
	}
	return out
}
