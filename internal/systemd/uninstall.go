package systemd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// UninstallOptions is one `berth uninstall`.
type UninstallOptions struct {
	Stack   string
	Layout  Layout
	Manager Manager
	// Networks removes the stack's podman networks (internal/podman's
	// client, the one package that runs podman); nil leaves them in place.
	Networks NetworkRemover
	Log      io.Writer
}

// UninstallResult is what Uninstall removed and kept.
type UninstallResult struct {
	Manifest *Manifest
	Removed  []string // files, folders and links
	Kept     []string // generator links other stacks still need
	Networks []string // podman networks removed
	Errors   []error  // what could not be done; the rest was
}

// ErrNotInstalled is returned for a stack that has no manifest.
var ErrNotInstalled = errors.New("stack not installed")

// Uninstall stops the stack's services, removes the podman networks of its
// .network units (as `berth down` does: they hold no data), exactly the
// files and links its manifest lists (generator links only when no other
// stack needs them) and reloads systemd. Volumes and their data are never
// touched: quadlet volume services create volumes, stopping them removes
// nothing.
func Uninstall(ctx context.Context, o UninstallOptions) (*UninstallResult, error) {
	ok, m, err := InstalledIn(o.Layout, o.Stack)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: no %s at %s (`berth list` shows the installed stacks; --user/--system picks the scope)",
			ErrNotInstalled, ManifestName, o.Layout.StackDir(o.Stack))
	}
	r := &UninstallResult{Manifest: m}
	st := &Stack{Manifest: m, Manager: o.Manager}
	if err := st.Stop(ctx); err != nil {
		r.Errors = append(r.Errors, fmt.Errorf("stopping: %w", err))
	}
	// Units of earlier revisions, dropped since: stopped too (a no-op when
	// the apply that dropped them stopped them).
	var gone []string
	for _, u := range m.Dropped {
		gone = append(gone, u.Service)
	}
	if len(gone) > 0 {
		if err := o.Manager.Stop(ctx, gone...); err != nil {
			r.Errors = append(r.Errors, fmt.Errorf("stopping dropped units: %w", err))
		}
	}
	_ = o.Manager.ResetFailed(ctx, append(m.Services(), gone...)...)
	removeNetworks(ctx, o.Networks, m, r)
	removeFiles(m, r)
	removeCompiled(o.Layout, m, r)
	removeLinks(o.Layout, m, r)
	if sd := o.Layout.StateDir(m.Stack); dirExists(sd) {
		if err := os.RemoveAll(sd); err != nil {
			r.Errors = append(r.Errors, err)
		} else {
			r.Removed = append(r.Removed, sd)
		}
	}
	if err := o.Manager.DaemonReload(ctx); err != nil {
		r.Errors = append(r.Errors, fmt.Errorf("%w; run `systemctl%s daemon-reload`", err, scopeFlag(m.Scope)))
	}
	logf(o.Log, "uninstalled stack %s (%d paths removed)", m.Stack, len(r.Removed))
	return r, nil
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func removeFiles(m *Manifest, r *UninstallResult) {
	dir := m.Dir
	for _, f := range m.Files {
		removeListed(dir, "the stack folder", f, r)
	}
	removeEmptyDirs(dir, m.Dirs)
	mp := filepath.Join(dir, ManifestName)
	if err := os.Remove(mp); err != nil {
		r.Errors = append(r.Errors, err)
	} else {
		r.Removed = append(r.Removed, mp)
	}
	if err := os.Remove(dir); err == nil {
		r.Removed = append(r.Removed, dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		r.Errors = append(r.Errors, fmt.Errorf("%s holds files berth did not install; it was left in place", dir))
	}
}

// removeListed removes the manifest's path f below dir (named where in the
// error for a path outside it), recording what it removed and what failed;
// a path already gone is fine. It reports whether f was safe to touch.
func removeListed(dir, where, f string, r *UninstallResult) bool {
	if !safeRel(f) {
		r.Errors = append(r.Errors, fmt.Errorf("%s lists %q, which is outside %s; left alone", ManifestName, f, where))
		return false
	}
	p := filepath.Join(dir, f)
	if err := os.Remove(p); err == nil {
		r.Removed = append(r.Removed, p)
	} else if !errors.Is(err, os.ErrNotExist) {
		r.Errors = append(r.Errors, err)
	}
	return true
}

// removeCompiled removes the services and links a --user install compiled
// into the user's unit folder, and the .wants folders that become empty.
func removeCompiled(l Layout, m *Manifest, r *UninstallResult) {
	dir := l.UserUnitDir()
	for _, f := range m.Compiled {
		if !removeListed(dir, dir, f, r) {
			continue
		}
		if sub := filepath.Dir(f); sub != "." {
			_ = os.Remove(filepath.Join(dir, sub)) // only when empty
		}
	}
}

// removeLinks removes the generator links of m that no other installed stack
// of the scope relies on and that still point where berth pointed them.
func removeLinks(l Layout, m *Manifest, r *UninstallResult) {
	others, _ := Manifests(l)
	needed := map[string]bool{}
	for _, o := range others {
		if o.Stack == m.Stack {
			continue
		}
		for _, lk := range o.Generator {
			needed[lk.Path] = true
		}
	}
	for _, lk := range m.Generator {
		switch {
		case needed[lk.Path]:
			r.Kept = append(r.Kept, lk.Path)
		case !pointsAt(lk.Path, lk.Target):
			// Changed by someone else since: not berth's any more.
		default:
			if err := os.Remove(lk.Path); err != nil {
				r.Errors = append(r.Errors, err)
			} else {
				r.Removed = append(r.Removed, lk.Path)
			}
		}
	}
}

// removeNetworks removes the podman networks the stack's .network units
// created. podman refuses to remove a network that a container still uses
// (one of another stack, say): that network stays and the refusal is
// reported. The caller's podman is the right one for both scopes (root
// uninstalls system stacks, a user their own). Manifests written before
// berth recorded resource names have none: their networks are left alone.
func removeNetworks(ctx context.Context, nets NetworkRemover, m *Manifest, r *UninstallResult) {
	if nets == nil {
		return
	}
	for _, u := range append(append([]ManifestUnit(nil), m.Units...), m.Dropped...) {
		if u.Kind != "network" || u.Resource == "" {
			continue
		}
		if owner := executorOwner(ctx, nets, u.Resource); owner != "" {
			r.Errors = append(r.Errors, fmt.Errorf("network %s of %s was kept: it belongs to project %s, which `berth up` runs",
				u.Resource, u.Source, owner))
			continue
		}
		removed, err := nets.RemoveNetwork(ctx, u.Resource)
		switch {
		case err != nil:
			r.Errors = append(r.Errors, fmt.Errorf("network %s of %s was kept: %w", u.Resource, u.Source, err))
		case removed:
			r.Networks = append(r.Networks, u.Resource)
		}
	}
}

// executorOwner is the project of `berth up` whose label a network
// carries ("" for none, or when nets cannot read labels): units installed
// under systemd label nothing io.berth.project, so such a network was
// created by up, not by this stack, and uninstall leaves it alone.
func executorOwner(ctx context.Context, nets NetworkRemover, name string) string {
	lr, ok := nets.(interface {
		Labels(ctx context.Context, kind, name string) (map[string]string, bool, error)
	})
	if !ok {
		return ""
	}
	labels, exists, err := lr.Labels(ctx, "network", name)
	if err != nil || !exists {
		return ""
	}
	return labels["io.berth.project"] // run.LabelProject (run imports this package)
}

// NetworkRemover removes podman networks; removed is false when the network
// did not exist (never created, or removed by hand).
type NetworkRemover interface {
	RemoveNetwork(ctx context.Context, name string) (removed bool, err error)
}
