package quadlet

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Load reads the quadlet files directly inside each of dirs (in order: the
// first file of a name wins, as in podman's search path) and merges their
// drop-ins. Unreadable or malformed files are reported and skipped; the rest
// still load.
func Load(dirs []string) ([]*Unit, diag.List) {
	var units []*Unit
	var diags diag.List
	seen := map[string]bool{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				diags.Errorf(diag.Pos{File: dir}, "unreadable", "cannot read directory: %v", err)
			}
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if seen[name] || !IsQuadlet(name) {
				continue
			}
			u, ds := LoadFile(filepath.Join(dir, name))
			diags = append(diags, ds...)
			if u != nil {
				seen[name] = true
				units = append(units, u)
			}
		}
	}
	for _, u := range units {
		diags = append(diags, mergeDropins(u, dirs)...)
	}
	return units, diags
}

// LoadFile parses one quadlet file, without drop-ins. A file with syntax
// errors is not returned: podman refuses it too.
func LoadFile(path string) (*Unit, diag.List) {
	abs, err := filepath.Abs(path)
	if err == nil {
		path = abs
	}
	f, diags := unitfile.ParseFile(path)
	if f == nil || diags.HasErrors() {
		return nil, diags
	}
	return &Unit{Name: filepath.Base(path), Path: path, File: f}, diags
}

// DropinDirs lists the drop-in folder names of a unit, most specific first:
// "foo-bar.container.d", "foo-.container.d", "container.d"; templates add
// "foo@.container.d" for instances and truncated template names.
func DropinDirs(name string) []string {
	base, instance, isTemplate := templateParts(name)
	ext := filepath.Ext(name)
	dirs := []string{strings.TrimPrefix(ext, ".") + ".d"} // broadest first, reversed at the end
	parts := strings.Split(base, "-")
	for i := 1; i < len(parts); i++ {
		prefix := strings.Join(parts[:i], "-") + "-"
		dirs = append(dirs, prefix+ext+".d")
		if isTemplate {
			dirs = append(dirs, prefix+"@"+ext+".d")
		}
	}
	if instance != "" {
		dirs = append(dirs, base+"@"+ext+".d")
	}
	dirs = append(dirs, name+".d")
	for i, j := 0, len(dirs)-1; i < j; i, j = i+1, j-1 {
		dirs[i], dirs[j] = dirs[j], dirs[i]
	}
	return dirs
}

// mergeDropins applies the unit's *.conf drop-ins: for each file name the
// most specific folder (and earliest search directory) wins, and files are
// applied in lexical order of their names.
func mergeDropins(u *Unit, dirs []string) diag.List {
	var diags diag.List
	chosen := map[string]string{}
	for _, dd := range DropinDirs(u.Name) {
		for _, dir := range dirs {
			p := filepath.Join(dir, dd)
			entries, err := os.ReadDir(p)
			if err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					diags.Errorf(diag.Pos{File: p}, "unreadable", "cannot read drop-in directory: %v", err)
				}
				continue
			}
			for _, e := range entries {
				if filepath.Ext(e.Name()) != ".conf" {
					continue
				}
				if _, ok := chosen[e.Name()]; !ok {
					chosen[e.Name()] = filepath.Join(p, e.Name())
				}
			}
		}
	}
	names := make([]string, 0, len(chosen))
	for n := range chosen {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, ds := unitfile.ParseFile(chosen[n])
		diags = append(diags, ds...)
		if f != nil && !ds.HasErrors() {
			u.File.Merge(f)
		}
	}
	return diags
}
