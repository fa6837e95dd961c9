package systemd

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Installed copies live in another folder than their sources, so every
// relative path a unit uses is made absolute against the source folder, as
// podman's quadlet would have resolved it there. Only the keys whose relative
// values quadlet resolves against the unit's folder are touched; the rest of
// the file is copied byte for byte.

// rewrite is one changed line.
type rewrite struct {
	line     int // 1-based physical line
	key, old string
	new      string
}

// pathRewriter holds one file's rewrites.
type pathRewriter struct {
	file   string // the source file, for messages
	srcDir string // the folder relative paths are resolved against
	group  string // the quadlet group ("Container")
	edits  []rewrite
	diags  diag.List
}

// rewritePaths returns data with the relative paths of group's keys made
// absolute against srcDir, the notes describing each change, and warnings
// for values it could not rewrite.
func rewritePaths(file string, data []byte, group, srcDir string) ([]byte, []string, diag.List) {
	f, ds := unitfile.Parse(file, data)
	if f == nil || ds.HasErrors() {
		return data, nil, ds
	}
	r := &pathRewriter{file: file, srcDir: srcDir, group: group}
	for _, l := range f.Entries(group) {
		r.entry(f, l)
	}
	if len(r.edits) == 0 {
		return data, nil, r.diags
	}
	lines := strings.Split(string(data), "\n")
	var notes []string
	for _, e := range r.edits {
		lines[e.line-1] = e.key + "=" + e.new
		notes = append(notes, fmt.Sprintf("%s:%d: %s=%s -> %s", file, e.line, e.key, e.old, e.new))
	}
	header := fmt.Sprintf("# Installed by berth from %s; relative paths made absolute (%d).", file, len(r.edits))
	out := header + "\n" + strings.Join(lines, "\n")
	return []byte(out), notes, r.diags
}

func (r *pathRewriter) entry(f *unitfile.File, l *unitfile.Line) {
	v := l.Value
	quoted := strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'")
	if quoted {
		v = strings.Trim(v, `"'`)
	}
	var nv string
	switch l.Key {
	case "EnvironmentFile", "Yaml", "ConfigMap":
		nv = r.abs(v)
	case "File":
		if r.group == "Build" && !isURL(v) {
			nv = r.abs(v)
		}
	case "Volume":
		nv = r.volume(v)
	case "Mount":
		nv = r.mount(v)
	case "SetWorkingDirectory":
		nv = r.workDir(f, l)
	}
	if nv == "" || nv == v {
		return
	}
	if quoted || strings.Contains(l.Text(), "\n") {
		r.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Warning, Code: "relative-path",
			Message: fmt.Sprintf("%s=%s is relative to %s but is quoted or continued, so berth cannot rewrite it", l.Key, v, r.srcDir),
			Hint:    fmt.Sprintf("write it as one unquoted line, or use the absolute path %s", nv)})
		return
	}
	r.edits = append(r.edits, rewrite{line: l.Pos().Line, key: l.Key, old: v, new: nv})
}

// abs resolves a relative path against the source folder; absolute paths,
// paths starting with a systemd specifier and empty values stay.
func (r *pathRewriter) abs(p string) string {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "%") {
		return p
	}
	return filepath.Join(r.srcDir, p)
}

// volume rewrites SOURCE:DEST[:OPTS] when SOURCE starts with "." (podman
// reads other relative sources as volume names).
func (r *pathRewriter) volume(v string) string {
	src, rest, ok := strings.Cut(v, ":")
	if !ok || !strings.HasPrefix(src, ".") {
		return v
	}
	return r.abs(src) + ":" + rest
}

// mount rewrites source=/src= of a --mount value when it starts with ".".
func (r *pathRewriter) mount(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		k, val, ok := strings.Cut(p, "=")
		if ok && (k == "source" || k == "src") && strings.HasPrefix(val, ".") {
			parts[i] = k + "=" + r.abs(val)
		}
	}
	return strings.Join(parts, ",")
}

// workDir handles SetWorkingDirectory=: for builds "unit" and relative
// contexts become the absolute folder; a kube unit's "unit" cannot name a
// folder, so it is left with a warning.
func (r *pathRewriter) workDir(f *unitfile.File, l *unitfile.Line) string {
	v := l.Value
	switch {
	case v == "unit" && r.group == "Build":
		return r.srcDir
	case v == "unit":
		r.diags.Add(diag.Diagnostic{Pos: l.Pos(), Severity: diag.Warning, Code: "relative-path",
			Message: fmt.Sprintf("SetWorkingDirectory=unit makes the installed copy's folder the working directory, not %s", r.srcDir),
			Hint:    "use SetWorkingDirectory=yaml with the YAML file next to the unit, or absolute paths in the YAML file"})
		return v
	case v == "yaml" || v == "file" || v == "" || isURL(v):
		return v
	case r.group == "Build":
		return r.abs(v)
	}
	return v
}

func isURL(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "github.com/", "git@"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// dropinGroup is the quadlet group a drop-in folder's files belong to:
// "db.container.d", "db-.container.d" and "container.d" hold [Container].
func dropinGroup(dir string) string {
	name := strings.TrimSuffix(dir, ".d")
	ext := filepath.Ext(name)
	if ext == "" {
		ext = "." + name
	}
	return groupOfExt(ext)
}
