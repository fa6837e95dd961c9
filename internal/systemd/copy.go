package systemd

import (
	"errors"
	"fmt"
	"github.com/berth-dev/berth/internal/atomicfile"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/berth-dev/berth/internal/quadlet"
)

// copyStack copies the quadlet files of src and their drop-in folders'
// .conf files into m.Dir, one atomic write per file, rewriting relative
// paths. Files are recorded in m as they are written.
func copyStack(src string, m *Manifest, ir *InstallResult) error {
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(m.Dir, 0o755); err != nil {
		return fmt.Errorf("%w (install as root for --system, or use --user)", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case !e.IsDir() && quadlet.IsQuadlet(name):
			if err := copyFile(src, name, groupOfExt(filepath.Ext(name)), m, ir); err != nil {
				return err
			}
		case e.IsDir() && strings.HasSuffix(name, ".d") && dropinGroup(name) != "":
			if err := copyDropins(src, name, m, ir); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyDropins(src, dir string, m *Manifest, ir *InstallResult) error {
	entries, err := os.ReadDir(filepath.Join(src, dir))
	if err != nil {
		return err
	}
	created := false
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".conf" {
			continue
		}
		if !created {
			if _, err := os.Stat(filepath.Join(m.Dir, dir)); errors.Is(err, fs.ErrNotExist) {
				m.Dirs = append(m.Dirs, dir)
			}
			created = true
		}
		if err := copyFile(src, filepath.Join(dir, e.Name()), dropinGroup(dir), m, ir); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src/rel to m.Dir/rel with its relative paths rewritten.
func copyFile(src, rel, group string, m *Manifest, ir *InstallResult) error {
	from := filepath.Join(src, rel)
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	fi, err := os.Stat(from)
	if err != nil {
		return err
	}
	data, notes, ds := rewritePaths(from, data, group, src)
	ir.Notes = append(ir.Notes, notes...)
	ir.Warnings = append(ir.Warnings, ds...)
	m.Rewrites = append(m.Rewrites, notes...)
	if err := atomicfile.Write(filepath.Join(m.Dir, rel), data, fi.Mode().Perm()); err != nil {
		return err
	}
	m.Files = append(m.Files, rel)
	return nil
}

func groupOfExt(ext string) string {
	if k := quadlet.KindOf("x" + ext); k != nil {
		return k.Group
	}
	return ""
}

// removeStale deletes what an earlier install of the stack wrote that this
// one did not, and returns the removed paths.
func removeStale(old, cur *Manifest) []string {
	removed := removeDropped(cur.Dir, old.Files, cur.Files)
	removeEmptyDirs(cur.Dir, old.Dirs)
	return removed
}

// safeRel reports whether a manifest path stays inside the stack folder.
func safeRel(p string) bool {
	return p != "" && !filepath.IsAbs(p) && filepath.Clean(p) == p && !strings.HasPrefix(p, "..")
}

// removeEmptyDirs removes the listed folders under base when they are empty,
// deepest first.
func removeEmptyDirs(base string, dirs []string) {
	ds := append([]string(nil), dirs...)
	sort.Sort(sort.Reverse(sort.StringSlice(ds)))
	for _, d := range ds {
		if safeRel(d) {
			os.Remove(filepath.Join(base, d)) // fails, harmlessly, when not empty
		}
	}
}

// setupGenerator links berth in as the scope's generator when the plan says
// so, masks podman's older generator, and records in m the links this stack
// relies on (including ones another stack made).
func setupGenerator(o InstallOptions, m, old *Manifest, ir *InstallResult) error {
	l := o.Layout
	plan := &ir.Plan
	berthLink := l.BerthGeneratorLink()
	if !plan.UseBerth && pointsAt(berthLink, "") && o.Host.Generator != "" {
		// Another stack or the administrator made berth the generator:
		// it compiles this stack too, and podman's must stay masked.
		plan.MaskPodman = true
		cur, _ := os.Readlink(berthLink)
		logf(o.Log, "berth is the quadlet generator: %s -> %s (linked already; podman's generator stays masked beside it)", berthLink, cur)
	}
	if plan.UseBerth {
		if o.Berth == "" {
			return errors.New("cannot find the berth executable to install as the systemd generator")
		}
		if l.Scope == User && pointsAtBerth(berthLink) && !old.hasGenerator(berthLink) {
			// The administrator made berth every user's generator (the
			// link lives in /etc): use it, and never remove it.
			cur, _ := os.Readlink(berthLink)
			logf(o.Log, "berth is the quadlet generator: %s -> %s (%s)", berthLink, cur, plan.Why)
		} else if err := ensureLink(berthLink, o.Berth); err != nil {
			if l.Scope == User && errors.Is(err, fs.ErrPermission) {
				return compileUserUnits(o, m, old, berthLink)
			}
			return err
		} else {
			m.Generator = append(m.Generator, Link{Path: berthLink, Target: o.Berth})
			logf(o.Log, "berth is the quadlet generator: %s -> %s (%s)", berthLink, o.Berth, plan.Why)
		}
	}
	if !plan.UseBerth && !plan.MaskPodman && o.Host.Generator != "" {
		// One generator per scope, never two units for one file: podman's
		// compiles what it understands, berth only installs the files.
		logf(o.Log, "podman %s's quadlet generator compiles the stack: %s (berth installs the files; `podman quadlet list` shows them)", o.Host.Podman, o.Host.Generator)
	}
	if plan.MaskPodman {
		mask := l.PodmanGeneratorMask()
		if pointsAt(mask, "/dev/null") && !old.hasGenerator(mask) && !anyStackRecords(l, mask) {
			// The administrator masked it: theirs to keep, not this stack's
			// to remove at uninstall.
			logf(o.Log, "podman's generator %s is masked already (%s -> /dev/null, not made by berth)", o.Host.Generator, mask)
			return nil
		}
		if err := ensureLink(mask, "/dev/null"); err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("berth is the quadlet generator (%s) but podman's %s is not masked, so both would compile the stack, and %s is not writable by you: ask the administrator to run `ln -s /dev/null %s` (or to remove %s)", berthLink, o.Host.Generator, filepath.Dir(mask), mask, berthLink)
			}
			return err
		}
		m.Generator = append(m.Generator, Link{Path: mask, Target: "/dev/null"})
		logf(o.Log, "masked podman's generator %s: %s -> /dev/null", o.Host.Generator, mask)
	}
	return nil
}

// anyStackRecords reports whether an installed stack of the scope recorded
// the generator link path as its own.
func anyStackRecords(l Layout, path string) bool {
	ms, _ := Manifests(l)
	for _, m := range ms {
		if m.hasGenerator(path) {
			return true
		}
	}
	return false
}

// ensureLink makes path a link to target. Anything else already at path is
// left alone and reported: berth never replaces what it did not make.
func ensureLink(path, target string) error {
	cur, err := os.Readlink(path)
	switch {
	case err == nil && cur == target:
		return nil
	case err == nil && strings.Contains(filepath.Base(path), "berth"):
		// An older berth binary: repoint the link.
	case err == nil || !errors.Is(err, fs.ErrNotExist):
		if _, serr := os.Lstat(path); serr == nil {
			return fmt.Errorf("%s exists and was not made by berth (it points to %q); remove it or move it aside, then install again", path, cur)
		}
	}
	return atomicfile.Symlink(target, path)
}

// pointsAt reports whether path is a symbolic link (to target, if not "").
func pointsAt(path, target string) bool {
	cur, err := os.Readlink(path)
	return err == nil && (target == "" || cur == target)
}

// pointsAtBerth reports whether path is a link to a berth executable.
func pointsAtBerth(path string) bool {
	cur, err := os.Readlink(path)
	return err == nil && strings.Contains(filepath.Base(cur), "berth")
}

// compileUserUnits is a --user install that cannot make berth the user
// generator: systemd runs user generators only from system folders, which a
// user cannot write. berth compiles the stack's services now, as its
// generator would at every daemon-reload, into the user's unit folder
// (~/.config/systemd/user), which the user manager reads before its
// generators' output; [Install] links go to their .wants folders there.
// Every path is recorded in the manifest, for uninstall and reinstall.
// (A podman generator too old for the stack, if any, still runs, but its
// services of the same names are shadowed by these.)
func compileUserUnits(o InstallOptions, m, old *Manifest, link string) error {
	if o.Compile == nil {
		return fmt.Errorf("cannot make berth the user generator (%s is not writable) and no compiler is set up", link)
	}
	unitDir := o.Layout.UserUnitDir()
	stage := filepath.Join(filepath.Dir(unitDir), ".berth-compile-"+m.Stack)
	_ = os.RemoveAll(stage)
	defer os.RemoveAll(stage)
	if err := o.Compile([]string{m.Dir}, stage); err != nil {
		return fmt.Errorf("compiling the stack into %s: %w", unitDir, err)
	}
	ours := map[string]bool{}
	if old != nil {
		for _, p := range old.Compiled {
			ours[p] = true
		}
	}
	var rels []string
	err := filepath.WalkDir(stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(stage, p)
		if rel == quadlet.UserWaitNetworkOnline {
			return installSupport(o, p, filepath.Join(unitDir, rel))
		}
		if _, err := os.Lstat(filepath.Join(unitDir, rel)); err == nil && !ours[rel] {
			return fmt.Errorf("%s exists and was not made by berth for stack %s; remove it or move it aside, then install again", filepath.Join(unitDir, rel), m.Stack)
		}
		rels = append(rels, rel)
		return nil
	})
	if err != nil {
		return err
	}
	for _, rel := range rels {
		dst := filepath.Join(unitDir, rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(stage, rel), dst); err != nil {
			return err
		}
	}
	// The files were flushed when compiled (Durable); the renames are not
	// until their folders are.
	synced := map[string]bool{}
	for _, rel := range rels {
		dir := filepath.Dir(filepath.Join(unitDir, rel))
		if !synced[dir] {
			synced[dir] = true
			if err := atomicfile.SyncDir(dir); err != nil {
				return fmt.Errorf("syncing %s: %w", dir, err)
			}
		}
	}
	sort.Strings(rels)
	m.Compiled = rels
	logf(o.Log, "berth compiled the stack's services into %s: systemd runs user generators only from system folders (%s is not writable by %s); `sudo ln -s %s %s` would make berth every user's generator instead",
		unitDir, filepath.Dir(link), o.Layout.UserName, o.Berth, link)
	return nil
}

// installSupport puts a support unit (quadlet.SupportUnit: one the host's
// podman is too old to ship) into the user's unit folder, unless the host
// or an earlier install has one. It is shared by every stack and is not
// recorded as this stack's: uninstalling a stack leaves it for the others.
func installSupport(o InstallOptions, src, dst string) error {
	for _, d := range []string{"/etc/systemd/user", "/usr/local/lib/systemd/user", "/usr/lib/systemd/user", "/lib/systemd/user"} {
		if _, err := os.Stat(o.Layout.sys(filepath.Join(d, filepath.Base(dst)))); err == nil {
			return nil
		}
	}
	if _, err := os.Lstat(dst); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if err := os.Rename(src, dst); err != nil {
		return err
	}
	logf(o.Log, "wrote %s: podman %s does not ship it, and the stack's services wait on it for the network", dst, o.Host.Podman)
	return nil
}

// removeStaleCompiled removes what an earlier install compiled into the
// user's unit folder that this one did not.
func removeStaleCompiled(l Layout, old, m *Manifest) []string {
	return removeDropped(l.UserUnitDir(), old.Compiled, m.Compiled)
}

// removeDropped removes the paths below dir that were listed (old) and are
// no longer (cur), leaving alone any that would leave dir, and returns
// those it removed.
func removeDropped(dir string, old, cur []string) []string {
	keep := map[string]bool{}
	for _, f := range cur {
		keep[f] = true
	}
	var removed []string
	for _, f := range old {
		if keep[f] || !safeRel(f) {
			continue
		}
		p := filepath.Join(dir, f)
		if err := os.Remove(p); err == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// hasGenerator reports whether m (nil: no manifest) lists the link path.
func (m *Manifest) hasGenerator(path string) bool {
	if m == nil {
		return false
	}
	for _, l := range m.Generator {
		if l.Path == path {
			return true
		}
	}
	return false
}
