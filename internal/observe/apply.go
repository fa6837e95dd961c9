package observe

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/berth-dev/berth/internal/atomicfile"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
)

// Result says what Add or Remove did, paths relative to the stack folder.
type Result struct {
	Stack     *Stack
	Written   []string // created or changed
	Unchanged []string
	Removed   []string // generated earlier, no longer wanted (or Remove)
	Kept      []string // would be generated, but the file has no marker: the user's
	Volumes   []string // podman volumes the units use (Remove keeps them)
	Diags     diag.List
}

// Plan computes the files Add writes for a stack: relative path -> content.
func Plan(st *Stack, opts Options) (map[string][]byte, error) {
	files := map[string][]byte{}
	quadlets(st, opts, files)
	if err := configs(st, opts, files); err != nil {
		return nil, err
	}
	return files, nil
}

// Add writes the observability units and configuration into the stack in
// dir, replaces what an earlier Add wrote and no longer applies, and leaves
// every file without the marker alone.
func Add(dir string, opts Options) (*Result, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	st, err := LoadStack(dir, opts.Name)
	if err != nil {
		return nil, err
	}
	files, err := Plan(st, opts)
	if err != nil {
		return nil, err
	}
	res := &Result{Stack: st, Volumes: Volumes(st.Name, opts), Diags: append(diag.List(nil), st.Diags...)}
	warnUnreachable(st, res)
	old, err := generatedFiles(st.Dir)
	if err != nil {
		return nil, err
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if err := res.put(st.Dir, rel, files[rel]); err != nil {
			return res, err
		}
	}
	for _, rel := range old {
		if _, ok := files[rel]; ok {
			continue
		}
		if err := removeGenerated(st.Dir, rel); err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, rel)
	}
	return res, nil
}

// warnUnreachable notes services Prometheus cannot reach by name.
func warnUnreachable(st *Stack, res *Result) {
	for _, s := range st.Scraped() {
		on, join := st.onNetwork(s)
		if on || join {
			continue
		}
		res.Diags.Add(diag.Diagnostic{Pos: s.Metrics.Pos, Severity: diag.Warning, Code: "observe-network",
			Message: fmt.Sprintf("%s is not on %s, so Prometheus cannot reach %s by name", s.Unit, st.Network, s.Target()),
			Hint:    fmt.Sprintf("add Network=%s to %s; a container can be on several networks", st.Network, s.Unit)})
	}
}

// put writes one planned file unless it is the user's or already current.
func (res *Result) put(dir, rel string, data []byte) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	cur, err := os.ReadFile(p)
	switch {
	case err == nil && bytes.Equal(cur, data):
		res.Unchanged = append(res.Unchanged, rel)
		return nil
	case err == nil && !bytes.Contains(cur, []byte(Marker)):
		res.Kept = append(res.Kept, rel)
		res.Diags.Add(diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Note, Code: "observe-kept",
			Message: "left as it is: it has no \"" + Marker + "\" line, so it is yours",
			Hint:    "delete the file and run berth observe add again to get the generated one"})
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: %w", p, err)
	}
	if err := atomicfile.Write(p, data, 0o644); err != nil {
		return err
	}
	res.Written = append(res.Written, rel)
	return nil
}

// generatedFiles lists the files in dir that an Add wrote: quadlets at the
// top, berth observe drop-ins, and everything under observe/, when they carry
// the marker. Sorted, relative, with forward slashes.
func generatedFiles(dir string) ([]string, error) {
	var cands []string
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read the stack folder: %w", err)
	}
	for _, e := range entries {
		switch {
		case !e.IsDir() && quadlet.IsQuadlet(e.Name()):
			cands = append(cands, e.Name())
		case e.IsDir() && strings.HasSuffix(e.Name(), ".d"):
			cands = append(cands, e.Name()+"/"+DropinName)
		}
	}
	err = filepath.WalkDir(filepath.Join(dir, ConfigDir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(dir, p)
			cands = append(cands, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", filepath.Join(dir, ConfigDir), err)
	}
	var out []string
	for _, rel := range cands {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err == nil && bytes.Contains(data, []byte(Marker)) {
			out = append(out, rel)
		}
	}
	sort.Strings(out)
	return out, nil
}

// removeGenerated deletes a generated file and the folders it leaves empty
// (drop-in folders and those under observe/).
func removeGenerated(dir, rel string) error {
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cannot remove %s: %w", p, err)
	}
	for d := filepath.Dir(p); d != dir && strings.HasPrefix(d, dir+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil { // not empty (or gone): stop
			break
		}
	}
	return nil
}

// Remove deletes every file an Add generated in the stack in dir. The
// volumes' data stays in podman: `podman volume rm` deletes it.
func Remove(dir string) (*Result, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	files, err := generatedFiles(abs)
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, rel := range files {
		if err := removeGenerated(abs, rel); err != nil {
			return res, err
		}
		res.Removed = append(res.Removed, rel)
		if strings.HasSuffix(rel, "-data.volume") {
			res.Volumes = append(res.Volumes, strings.TrimSuffix(rel, ".volume"))
		}
	}
	return res, nil
}
