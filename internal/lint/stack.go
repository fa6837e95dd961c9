package lint

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/unitfile"
	"github.com/berth-dev/berth/internal/version"
)

// Unit is one quadlet file as the rules see it: parsed even when it has
// syntax errors (the readable lines are still checked), drop-ins merged.
type Unit struct {
	Name  string        // file name, "db.container"
	Path  string        // path as given by the user, used in diagnostics
	Kind  *quadlet.Kind // nil for a file that is not a quadlet
	File  *unitfile.File
	lines map[string][]string // raw physical lines of the unit and its drop-ins, by path
}

// Group is the unit's key group ("Container"), "" for non-quadlets.
func (u *Unit) Group() string {
	if u.Kind == nil {
		return ""
	}
	return u.Kind.Group
}

// Stack is every unit linted together, and what the rules need to know
// about the target machine.
type Stack struct {
	Units  []*Unit
	Target version.V // podman the units must run on; zero means latest
	// PodmanGenerates is true when podman's own quadlet generator compiles
	// the units (podman >= 4.4): keys are then gated by Key.Since; when berth
	// is the generator, by Key.Needs (the podman CLI flag).
	PodmanGenerates bool
	// Exists reports whether a host file exists (EnvironmentFile=).
	Exists func(path string) bool

	parseDiags diag.List
	byName     map[string]*Unit
}

// Unit returns the unit named name ("db.container"), or nil.
func (s *Stack) Unit(name string) *Unit { return s.byName[name] }

// target is the effective podman version.
func (s *Stack) target() version.V {
	if s.Target.IsZero() {
		return version.Latest
	}
	return s.Target
}

// podmanGeneratorSince is the first podman whose own generator reads quadlets.
var podmanGeneratorSince = version.Must("4.4.0")

// PodmanGenerates reports whether podman v compiles quadlets itself.
func PodmanGenerates(v version.V) bool { return v.AtLeast(podmanGeneratorSince) }

// load reads the files and folders of paths. A folder contributes the quadlet
// files directly inside it and their drop-ins; a file is linted whatever its
// name. Paths are kept as given so that diagnostics name them the same way.
func (s *Stack) load(paths []string) {
	s.byName = map[string]*Unit{}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			s.parseDiags.Add(diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Error, Code: unitfile.CodeUnreadable,
				Message: "cannot read: " + errText(err), Hint: "check the path"})
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			s.parseDiags.Add(diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Error, Code: unitfile.CodeUnreadable,
				Message: "cannot read directory: " + errText(err)})
			continue
		}
		for _, e := range entries {
			if quadlet.IsQuadlet(e.Name()) { // a folder named like a unit is reported when read
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	for _, f := range files {
		s.loadFile(f)
	}
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func (s *Stack) loadFile(path string) {
	name := filepath.Base(path)
	if quadlet.KindOf(name) == nil {
		s.parseDiags.Add(diag.Diagnostic{Pos: diag.Pos{File: path}, Severity: diag.Error, Code: "unsupported-type",
			Message: "not a quadlet file: the name must end in one of " + strings.Join(extensions(), " "),
			Hint:    "rename the file, or leave it out of the paths given to berth lint"})
		return
	}
	data, ok := s.read(path)
	if !ok {
		return
	}
	s.addUnit(path, data, true)
}

// addUnit parses a unit's text and adds it to the stack, with the drop-ins
// next to it when dropins is set (files on disk).
func (s *Stack) addUnit(path string, data []byte, dropins bool) {
	name := filepath.Base(path)
	f, ds := unitfile.Parse(path, data)
	s.parseDiags = append(s.parseDiags, ds...)
	u := &Unit{Name: name, Path: path, Kind: quadlet.KindOf(name), File: f, lines: map[string][]string{path: strings.Split(string(data), "\n")}}
	if prev := s.byName[name]; prev != nil {
		s.parseDiags.Add(diag.Diagnostic{Pos: diag.Pos{File: path, Line: 1}, Severity: diag.Warning, Code: "duplicate-unit",
			Message: "a unit named " + name + " was already read from " + prev.Path + "; this one is ignored",
			Hint:    "podman reads the first file of a name in its search path; remove or rename one"})
		return
	}
	if dropins {
		s.mergeDropins(u)
	}
	s.byName[name] = u
	s.Units = append(s.Units, u)
}

// parse reads and parses one file, recording its syntax diagnostics.
func (s *Stack) parse(path string) (*unitfile.File, []string, bool) {
	data, ok := s.read(path)
	if !ok {
		return nil, nil, false
	}
	f, ds := unitfile.Parse(path, data)
	s.parseDiags = append(s.parseDiags, ds...)
	return f, strings.Split(string(data), "\n"), true
}

// read reads one file, recording why it cannot be (the same diagnostics as
// every other verb: unitfile.ReadFile).
func (s *Stack) read(path string) ([]byte, bool) {
	data, ds := unitfile.ReadFile(path)
	if ds != nil {
		s.parseDiags = append(s.parseDiags, ds...)
		return nil, false
	}
	return data, true
}

// mergeDropins applies the *.conf drop-ins found next to the unit, most
// specific folder first for each file name, in lexical order of names.
func (s *Stack) mergeDropins(u *Unit) {
	dir := filepath.Dir(u.Path)
	chosen := map[string]string{}
	for _, dd := range quadlet.DropinDirs(u.Name) {
		entries, err := os.ReadDir(filepath.Join(dir, dd))
		if err != nil {
			continue
		}
		for _, e := range entries {
			if _, ok := chosen[e.Name()]; !ok && filepath.Ext(e.Name()) == ".conf" {
				chosen[e.Name()] = filepath.Join(dir, dd, e.Name())
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, lines, ok := s.parse(chosen[n])
		if ok {
			u.File.Merge(f)
			u.lines[chosen[n]] = lines
		}
	}
}

func extensions() []string {
	var out []string
	for _, k := range quadlet.Kinds() {
		out = append(out, k.Ext)
	}
	return out
}

// rawLine returns physical line n (1-based) of file path, or "".
func (s *Stack) rawLine(path string, n int) string {
	for _, u := range s.Units {
		if lines, ok := u.lines[path]; ok {
			if n >= 1 && n <= len(lines) {
				return lines[n-1]
			}
			return ""
		}
	}
	return ""
}

// unitOf returns the unit a path belongs to (itself or one of its drop-ins).
func (s *Stack) unitOf(path string) *Unit {
	for _, u := range s.Units {
		if _, ok := u.lines[path]; ok {
			return u
		}
	}
	return nil
}
