package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/internal/atomicfile"
	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/generate"
	"github.com/berth-dev/berth/internal/quadlet"
)

// compileOptions are the flags of `berth compile`.
type compileOptions struct {
	output string // folder to write the units to; "" prints them
	user   bool
	composeFiles
}

const quadletExts = ".container, .volume, .network, .pod, .kube, .build, .image or .artifact"

func (a *app) newCompileCmd() *cobra.Command {
	var o compileOptions
	cmd := &cobra.Command{
		Use:   "compile [PATH...|-f compose.yaml...] [-o DIR]",
		Short: "Compile quadlet files into systemd units",
		Long: "compile reads quadlet files, or every quadlet file directly in a folder, with\n" +
			"their drop-ins (default: the current folder, or -C DIR), and prints the units as\n" +
			"---name--- blocks or writes them atomically into -o DIR with their [Install]\n" +
			"links. Other quadlet files in the same folders are read so that references\n" +
			"such as Network=db.network resolve. Every problem of every file is reported as\n" +
			"file:line; the exit status is 1 when there is any error.\n\n" +
			"With -f (or in a folder with a compose file and no quadlets) compile converts\n" +
			"the compose project as convert and up do and compiles its units; problems are\n" +
			"reported at the compose file's line, column and key.",
		RunE: func(c *cobra.Command, args []string) error { return a.runCompile(o, args) },
	}
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the units into `DIR` instead of printing them")
	cmd.Flags().BoolVar(&o.user, "user", false, "compile for a user (rootless) systemd")
	o.composeFiles.add(cmd, "compile the compose project of `FILE` (repeatable; later files override)")
	return cmd
}

// selection is what compile was asked for.
type selection struct {
	dirs    []string        // folders to load, in order
	folders map[string]bool // folders given: all their units are compiled
	files   map[string]bool // files given
	owned   map[string]bool // files of the units compiled (drop-ins too)
	context map[string]bool // files of units read only for references
}

func (a *app) runCompile(o compileOptions, paths []string) error {
	a.tuneGC()
	base, err := a.global.workDir()
	if err != nil {
		return err
	}
	if isCompose, err := a.compileIsCompose(o, base, paths); err != nil || isCompose {
		if err != nil {
			return err
		}
		return a.compileCompose(o, base)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	sel, inputDiags := selectInputs(base, paths)
	units, diags := quadlet.LoadParallel(sel.dirs, 0)
	opts := quadlet.Options{User: o.user, Target: a.target(context.Background()), Podman: a.podmanBinary(),
		Strict: true, HostFile: fileExists}
	res := generate.CompileUnits(units, opts, 0)
	var chosen []*quadlet.Unit
	for _, u := range units {
		if sel.folders[filepath.Dir(u.Path)] || sel.files[u.Path] {
			chosen = append(chosen, u)
			diags = append(diags, generate.Lint(u)...)
			markAll(sel.owned, generate.SourceFiles(u))
		} else {
			markAll(sel.context, generate.SourceFiles(u))
		}
	}
	diags = append(diags, sel.unmatched(units, diags)...)
	diags = append(diags, res.Diags...)
	services := chosenServices(res, chosen)
	support := quadlet.SupportFor(services, opts)
	if o.output != "" {
		diags = append(diags, writeUnits(absUnder(base, o.output), a.argv0, services, support)...)
	} else if err := generate.DryRun(a.stdout, services); err != nil {
		return err
	} else if err := generate.DryRunSupport(a.stdout, support); err != nil {
		return err
	}
	diags = append(inputDiags, sel.filter(diags)...)
	if len(chosen) == 0 && !diags.HasErrors() {
		diags.Add(diag.Diagnostic{Pos: diag.Pos{File: absUnder(base, paths[0])}, Severity: diag.Warning, Code: "no-units",
			Message: "no quadlet files found", Hint: "quadlet files end in " + quadletExts})
	}
	if len(diags) > 0 {
		return &diagsError{diags: diags, base: base}
	}
	return nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func markAll(set map[string]bool, files []string) {
	for _, f := range files {
		set[f] = true
	}
}

func absUnder(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

// selectInputs sorts the paths into folders and files.
func selectInputs(base string, paths []string) (*selection, diag.List) {
	sel := &selection{folders: map[string]bool{}, files: map[string]bool{}, owned: map[string]bool{}, context: map[string]bool{}}
	var diags diag.List
	addDir := func(d string) {
		for _, x := range sel.dirs {
			if x == d {
				return
			}
		}
		sel.dirs = append(sel.dirs, d)
	}
	for _, p := range paths {
		abs := absUnder(base, p)
		fi, err := os.Stat(abs)
		switch {
		case err != nil:
			diags.Add(diag.Diagnostic{Pos: diag.Pos{File: abs}, Severity: diag.Error, Code: "unreadable",
				Message: fmt.Sprintf("cannot read %s: %v", p, unwrapPath(err)), Hint: "check the path"})
		case fi.IsDir():
			sel.folders[abs] = true
			addDir(abs)
		case !quadlet.IsQuadlet(abs):
			diags.Add(diag.Diagnostic{Pos: diag.Pos{File: abs}, Severity: diag.Error, Code: "unsupported-type",
				Message: fmt.Sprintf("unsupported file type %q", filepath.Base(abs)), Hint: "quadlet files end in " + quadletExts})
		default:
			sel.files[abs] = true
			addDir(filepath.Dir(abs))
		}
	}
	return sel, diags
}

func unwrapPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// unmatched reports the files given that were not loaded and have no load
// error: another file of the same name came first.
func (s *selection) unmatched(units []*quadlet.Unit, loadDiags diag.List) diag.List {
	var out diag.List
	loaded := map[string]*quadlet.Unit{}
	for _, u := range units {
		loaded[u.Path] = u
	}
	reported := map[string]bool{}
	for _, d := range loadDiags {
		reported[d.Pos.File] = true
	}
	for _, dir := range s.dirs {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			if !s.files[p] || loaded[p] != nil || reported[p] {
				continue
			}
			for _, u := range units {
				if u.Name == e.Name() {
					out.Add(diag.Diagnostic{Pos: diag.Pos{File: p}, Severity: diag.Warning, Code: "shadowed",
						Message: fmt.Sprintf("not compiled: %s was read first", u.Path),
						Hint:    "unit names must be unique across the folders; the first one found wins, as in podman"})
				}
			}
		}
	}
	return out
}

// filter drops the problems of units that were read only for references,
// and repeats (a shared drop-in is reported once per unit).
func (s *selection) filter(diags diag.List) diag.List {
	var out diag.List
	seen := map[string]bool{}
	for _, d := range diags {
		f := d.Pos.File
		relevant := s.owned[f] || s.files[f] || s.folders[filepath.Dir(f)] ||
			!s.context[f] && !quadlet.IsQuadlet(f)
		key := d.Pos.String() + "\x00" + d.Severity.String() + "\x00" + d.Message
		if relevant && !seen[key] {
			seen[key] = true
			out = append(out, d)
		}
	}
	return out
}

func chosenServices(res *quadlet.Result, chosen []*quadlet.Unit) []*quadlet.Service {
	want := map[*quadlet.Unit]bool{}
	for _, u := range chosen {
		want[u] = true
	}
	var out []*quadlet.Service
	for _, s := range res.Services {
		if want[s.Source] {
			out = append(out, s)
		}
	}
	return out
}

// writeUnits writes the services, and the support units they need, into
// dir; problems come back as diagnostics.
func writeUnits(dir, argv0 string, services []*quadlet.Service, support []quadlet.SupportUnit) diag.List {
	var diags diag.List
	if err := os.MkdirAll(dir, 0o755); err != nil {
		diags.Add(diag.Diagnostic{Pos: diag.Pos{File: dir}, Severity: diag.Error, Code: "unwritable",
			Message: fmt.Sprintf("cannot create the output folder: %v", unwrapPath(err))})
		return diags
	}
	written := []string{dir}
	for _, s := range services {
		dirs, problems, err := generate.WriteService(dir, argv0, s, nil)
		pos := diag.Pos{File: s.Source.Path}
		if l := s.Source.File.LastLine("Install", "Alias"); l != nil {
			pos = l.Pos()
		}
		for _, p := range problems {
			diags.Add(diag.Diagnostic{Pos: pos, Severity: diag.Warning, Code: "install-link", Message: p})
		}
		if err != nil {
			diags.Add(diag.Diagnostic{Pos: diag.Pos{File: s.Source.Path}, Severity: diag.Error, Code: "unwritable", Message: err.Error()})
		}
		written = append(written, dirs...)
	}
	for _, u := range support {
		if err := atomicfile.Write(filepath.Join(dir, u.Name), []byte(u.Text), 0o644); err != nil {
			diags.Add(diag.Diagnostic{Pos: diag.Pos{File: dir}, Severity: diag.Error, Code: "unwritable", Message: err.Error()})
		}
	}
	if err := generate.SyncDirs(written); err != nil {
		diags.Add(diag.Diagnostic{Pos: diag.Pos{File: dir}, Severity: diag.Error, Code: "unwritable", Message: err.Error()})
	}
	return diags
}
