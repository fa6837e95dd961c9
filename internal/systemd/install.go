package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/diag"
	"github.com/berth-dev/berth/internal/quadlet"
)

// InstallOptions is one `berth install`.
type InstallOptions struct {
	Source string // the stack's folder
	// Origin is the user's folder when Source is a staged copy of it (an
	// apply or a rollback): the manifest records it.
	Origin  string
	Stack   string // its name; "" means the folder's name
	Layout  Layout
	Manager Manager
	Host    Host   // the host's podman (DetectHost)
	Berth   string // the executable generator links point at (berth-generator, else berth)
	Now     bool   // start the services and wait until they are active
	Timeout time.Duration
	Log     io.Writer // progress lines; nil discards
	// Compile runs berth's generator over dirs into the folder out, exactly
	// as `berth generate` does at boot (internal/generate, which this
	// package may not import). Used by a --user install that cannot make
	// berth the user generator; nil makes such an install an error.
	Compile func(dirs []string, out string) error
}

// InstallResult is what Install did.
type InstallResult struct {
	Manifest *Manifest
	Plan     GeneratorPlan
	Warnings diag.List // compiler warnings and path rewrites that could not be made
	Notes    []string  // relative paths rewritten
	Removed  []string  // stale files of an earlier install of the stack
	// NetworkOnline: some service waits for network-online.target (pass it
	// to Check).
	NetworkOnline bool
}

var stackNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// StackName is the stack name for a folder: the folder's base name.
func StackName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	return filepath.Base(abs)
}

// Install validates the stack, copies it into the layout's quadlet folder,
// sets up berth as the generator when the host's podman cannot compile it,
// reloads systemd and, with Now, starts the services. Nothing is written
// when any file has an error: the error is a diag.ListError naming every
// problem with file:line.
func Install(ctx context.Context, o InstallOptions) (*InstallResult, error) {
	if err := o.Layout.Validate(); err != nil {
		return nil, err
	}
	src, err := filepath.Abs(o.Source)
	if err != nil {
		return nil, err
	}
	if o.Stack == "" {
		o.Stack = StackName(src)
	}
	if !stackNameRE.MatchString(o.Stack) {
		return nil, fmt.Errorf("invalid stack name %q: use letters, digits, '-', '_' and '.' (pass -p NAME)", o.Stack)
	}
	units, res, diags, err := validate(src, o)
	if err != nil {
		return nil, err
	}
	ir := &InstallResult{Warnings: diags.Warnings(), Plan: PlanGenerator(o.Host, units), NetworkOnline: waitsForNetwork(res)}
	if err := checkConflicts(o.Layout, o.Stack, res); err != nil {
		return nil, err
	}
	m := &Manifest{Stack: o.Stack, Scope: o.Layout.Scope, Source: src, Dir: o.Layout.StackDir(o.Stack),
		InstalledAt: time.Now().UTC(), Units: startOrder(res)}
	if o.Origin != "" {
		m.Source = o.Origin
	}
	if !o.Host.Podman.IsZero() {
		m.Podman = o.Host.Podman.String()
	}
	old, err := ReadManifest(o.Layout.ManifestPath(o.Stack))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	m.Dropped = dropped(old, m)
	if err := copyStack(src, m, ir); err != nil {
		return nil, err
	}
	if err := setupGenerator(o, m, old, ir); err != nil {
		return nil, err
	}
	if err := WriteManifest(o.Layout.ManifestPath(o.Stack), m); err != nil {
		return nil, err
	}
	ir.Manifest = m
	if old != nil {
		ir.Removed = append(removeStale(old, m), removeStaleCompiled(o.Layout, old, m)...)
	}
	logf(o.Log, "installed %d files of stack %s into %s", len(m.Files), o.Stack, m.Dir)
	if len(ir.Notes) > 0 {
		logf(o.Log, "relative paths rewritten to absolute paths of %s in the installed copies:", src)
		for _, n := range ir.Notes {
			logf(o.Log, "  %s", strings.TrimPrefix(n, src+"/"))
		}
	}
	if err := o.Manager.DaemonReload(ctx); err != nil {
		return ir, fmt.Errorf("the files are installed, but %w; run `systemctl%s daemon-reload` once the manager is reachable", err, scopeFlag(o.Layout.Scope))
	}
	if o.Now {
		st := &Stack{Manifest: m, Manager: o.Manager, Log: o.Log}
		if err := st.StartAll(ctx, o.Timeout); err != nil {
			return ir, err
		}
	}
	return ir, nil
}

// dropped lists the units of old (and those it had dropped) that m lacks.
func dropped(old, m *Manifest) []ManifestUnit {
	if old == nil {
		return nil
	}
	have := map[string]bool{}
	for _, u := range m.Units {
		have[u.Service] = true
	}
	var out []ManifestUnit
	for _, u := range append(append([]ManifestUnit(nil), old.Units...), old.Dropped...) {
		if !have[u.Service] {
			have[u.Service] = true
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Service < out[j].Service })
	return out
}

// Validate loads and compiles the stack in src for the host's podman, as
// the generator will, and checks its names against the other installed
// stacks: any error (every one, with file:line of the user's files) stops
// an install before anything is written or stopped.
func Validate(src string, o InstallOptions) (diag.List, error) {
	_, res, diags, err := validate(src, o)
	if err != nil {
		return diags, err
	}
	return diags, checkConflicts(o.Layout, o.Stack, res)
}

// Stage copies the stack's quadlet files and drop-ins from src into dir
// as install would copy them (relative paths made absolute against src),
// and returns the notes on rewritten paths and warnings.
func Stage(src, dir string) (notes []string, warnings diag.List, err error) {
	m := &Manifest{Dir: dir}
	ir := &InstallResult{}
	if err := copyStack(src, m, ir); err != nil {
		return nil, nil, err
	}
	return ir.Notes, ir.Warnings, nil
}

func scopeFlag(s Scope) string {
	if s == User {
		return " --user"
	}
	return ""
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}

// validate loads and compiles the stack for the host's podman, as the
// generator will. Any error stops the installation.
func validate(src string, o InstallOptions) ([]*quadlet.Unit, *quadlet.Result, diag.List, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("stack folder: %w", err)
	}
	if !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("%s is not a folder; pass the folder that holds the quadlet files", src)
	}
	units, diags := quadlet.Load([]string{src})
	if len(units) == 0 && !diags.HasErrors() {
		return nil, nil, nil, fmt.Errorf("%s holds no quadlet files (.container, .volume, .network, .pod, .kube, .build, .image, .artifact)", src)
	}
	res := quadlet.Compile(units, quadlet.Options{User: o.Layout.Scope == User, Target: o.Host.Podman, Strict: true,
		HostFile: func(p string) bool { _, err := os.Stat(p); return err == nil }})
	diags = append(diags, res.Diags...)
	diags.Sort()
	if diags.HasErrors() {
		return nil, nil, diags, diags.Err()
	}
	return units, res, diags, nil
}

// startOrder lists the stack's services so that each comes after the stack
// services it needs (Requires/Wants/BindsTo/After); templates are left out.
func startOrder(res *quadlet.Result) []ManifestUnit {
	in := map[string]*quadlet.Service{}
	for _, s := range res.Services {
		in[s.Name] = s
	}
	var out []ManifestUnit
	done, visiting := map[string]bool{}, map[string]bool{}
	var visit func(s *quadlet.Service)
	visit = func(s *quadlet.Service) {
		if done[s.Name] || visiting[s.Name] {
			return
		}
		visiting[s.Name] = true
		for _, key := range []string{"Requires", "Wants", "BindsTo", "After", "Requisite"} {
			for _, dep := range s.File.Strv("Unit", key) {
				if d, ok := in[dep]; ok {
					visit(d)
				}
			}
		}
		done[s.Name] = true
		if !strings.Contains(s.Name, "@") {
			k := quadlet.KindOf(s.Source.Name)
			mu := ManifestUnit{Source: s.Source.Name, Service: s.Name, Kind: strings.TrimPrefix(k.Ext, ".")}
			if info := res.Infos[s.Source.Name]; info != nil {
				mu.Resource = info.ResourceName
			}
			out = append(out, mu)
		}
	}
	sorted := append([]*quadlet.Service(nil), res.Services...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return quadlet.KindOf(sorted[i].Source.Name).Order < quadlet.KindOf(sorted[j].Source.Name).Order
	})
	for _, s := range sorted {
		visit(s)
	}
	return out
}

// waitsForNetwork reports whether a service is ordered after the network.
func waitsForNetwork(res *quadlet.Result) bool {
	for _, s := range res.Services {
		for _, a := range s.File.Strv("Unit", "After") {
			if a == "network-online.target" || a == "podman-user-wait-network-online.service" {
				return true
			}
		}
	}
	return false
}
