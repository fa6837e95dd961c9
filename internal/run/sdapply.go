package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/quadlet"
	"github.com/berth-dev/berth/internal/systemd"
	sd "github.com/berth-dev/berth/internal/unitexec"
)

// Day 2 under systemd: `berth install` of an installed stack, `berth diff`
// and `berth rollback` are one apply through the same observe → plan →
// apply as `berth up`. Observe reads the stack's latest revision (what
// its running units were applied from) and `systemctl show`; the plan is
// PlanApply's; apply stops dropped units before their files go, installs
// the files (internal/systemd), then starts, restarts or keeps each unit
// in dependency order and records the new revision.

// InstallOptions is one apply of a stack under systemd.
type InstallOptions struct {
	// Install says what to install where (Source: the stack's folder, or a
	// revision's files for a rollback; Origin then names the folder).
	Install  systemd.InstallOptions
	UnitHost *sd.Host       // the manager's facts, for reading compiled units
	Podman   *podman.Client // secrets, health, networks; nil skips them
	// Networks removes dropped networks; nil means Podman.
	Networks systemd.NetworkRemover
	Now      bool // start the stack (new units start anyway when it runs)
	DryRun   bool // plan only
	// Wait is how long to wait for the started units to be active and
	// healthy (0: do not wait).
	Wait              time.Duration
	RollbackOnFailure bool
	Keep              int    // revisions kept; 0 means DefaultKeepRevisions
	Summary           string // recorded with the revision ("" describes the plan)
	// RollbackTo is the revision being applied again, for a rollback: files
	// its units read that differ now are named (they are not rolled back).
	RollbackTo *Revision
	Out        io.Writer
}

// InstallReport is what an apply did.
type InstallReport struct {
	Plan       *Plan
	Result     *systemd.InstallResult
	Notes      []string // relative paths rewritten
	Revision   int      // the revision now installed (0 for a dry run)
	RolledBack int      // the revision a failed apply went back to
	Drifted    []string // for a rollback: inputs that differ from the revision's
}

// drifted lists what the stack's units read that differs from what rev's
// units read (nil without rev).
func drifted(st *Stack, rev *Revision) []string {
	if rev == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, u := range st.Units {
		ru := rev.Units[u.Name]
		if ru == nil {
			continue
		}
		for k, v := range u.Inputs {
			if old, ok := ru.Inputs[k]; ok && old != v && !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// InstallStack applies the stack's folder (or a revision) to the installed
// stack: plan, then carry the plan out and record a revision.
func InstallStack(ctx context.Context, o InstallOptions) (*InstallReport, error) {
	in := &o.Install
	if err := in.Layout.Validate(); err != nil {
		return nil, err
	}
	src, err := filepath.Abs(in.Source)
	if err != nil {
		return nil, err
	}
	in.Source = src
	if in.Origin == "" {
		in.Origin = src
	}
	if in.Stack == "" {
		in.Stack = systemd.StackName(src)
	}
	unlock, err := Store{Dir: in.Layout.StateDir(in.Stack)}.Lock()
	if err != nil {
		return nil, fmt.Errorf("locking the stack's state: %w (install as root for --system, or use --user)", err)
	}
	defer unlock()
	return installLocked(ctx, o)
}

// installLocked is InstallStack under the stack's lock.
func installLocked(ctx context.Context, o InstallOptions) (*InstallReport, error) {
	revs := Revisions{Dir: o.Install.Layout.StateDir(o.Install.Stack)}
	_ = os.RemoveAll(revs.Staging())
	defer os.RemoveAll(revs.Staging()) // gone by the rename when committed
	a, latest, rep, err := planInstall(ctx, o, revs)
	if err != nil || o.DryRun {
		return rep, err
	}
	if len(rep.Notes) > 0 {
		a.printf("relative paths made absolute against %s in the installed copies:", o.Install.Origin)
		for _, n := range rep.Notes {
			a.printf("  %s", strings.TrimPrefix(n, o.Install.Source+"/"))
		}
	}
	applyErr := a.run(ctx, rep)
	if rep.Result == nil { // nothing installed: the old revision stands
		return rep, applyErr
	}
	n := 1
	if latest != nil {
		n = latest.N + 1
	}
	summary := o.Summary
	if summary == "" {
		summary = strings.TrimPrefix(a.plan.Summary(), "plan: ")
	}
	if err := revs.Commit(revisionOf(a.st, n, summary, o.Install.Origin, rep.Result.Manifest.Podman), o.Keep); err != nil {
		return rep, errors.Join(applyErr, fmt.Errorf("recording revision %d: %w", n, err))
	}
	rep.Revision = n
	if applyErr == nil && o.Wait > 0 {
		applyErr = a.waitReady(ctx, o.Wait)
	}
	if applyErr != nil && o.RollbackOnFailure && latest != nil {
		return rep, rollbackAfter(ctx, o, revs, latest, rep, applyErr)
	}
	return rep, applyErr
}

// planInstall validates and stages the stack, observes the installed one
// and plans: everything an apply does before it changes anything.
func planInstall(ctx context.Context, o InstallOptions, revs Revisions) (*sdApply, *Revision, *InstallReport, error) {
	in := &o.Install
	if _, err := systemd.Validate(in.Source, *in); err != nil {
		return nil, nil, nil, err
	}
	staged := filepath.Join(revs.Staging(), "files")
	notes, _, err := systemd.Stage(in.Source, staged)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := loadStaged(ctx, o, staged)
	if err != nil {
		return nil, nil, nil, err
	}
	latest, err := revs.Latest()
	if err != nil {
		return nil, nil, nil, err
	}
	old, obs, status, err := observeInstalled(ctx, o, latest)
	if err != nil {
		return nil, nil, nil, err
	}
	plan, err := PlanApply(st, obs, PlanOptions{Prune: true, NoStart: !o.Now && !stackRuns(obs)})
	if err != nil {
		return nil, nil, nil, err
	}
	if err := checkInstallNames(ctx, o.Podman, st, staged, in.Origin); err != nil {
		return nil, nil, nil, err
	}
	rep := &InstallReport{Plan: plan, Notes: notes, Drifted: drifted(st, o.RollbackTo)}
	if len(rep.Drifted) > 0 && o.Out != nil {
		fmt.Fprintf(o.Out, "note: %s changed since revision %d; a rollback restores quadlet files and drop-ins, not the files units read\n",
			strings.Join(rep.Drifted, ", "), o.RollbackTo.N)
	}
	a := &sdApply{o: o, st: st, plan: plan, before: status, old: old, staged: staged,
		sds: &systemd.Stack{Manifest: &systemd.Manifest{Stack: in.Stack, Scope: in.Layout.Scope}, Manager: in.Manager}}
	return a, latest, rep, nil
}

// rollbackAfter applies the previous revision after a failed apply.
func rollbackAfter(ctx context.Context, o InstallOptions, revs Revisions, prev *Revision, rep *InstallReport, failed error) error {
	fmt.Fprintf(o.Out, "revision %d failed: %v\nrolling back to revision %d\n", rep.Revision, firstLine(failed.Error()), prev.N)
	ro := o
	ro.Install.Source, ro.Install.Origin = revs.Files(prev.N), prev.Source
	ro.RollbackOnFailure, ro.Now = false, true
	ro.Summary = fmt.Sprintf("rollback to revision %d (revision %d failed)", prev.N, rep.Revision)
	ro.RollbackTo = prev
	rr, err := installLocked(ctx, ro)
	if err != nil {
		return fmt.Errorf("%w\nrolling back to revision %d failed too: %v", failed, prev.N, err)
	}
	rep.RolledBack = prev.N
	return &RolledBackError{Err: failed, To: prev.N, Revision: rr.Revision}
}

// RolledBackError is an apply that failed and was rolled back.
type RolledBackError struct {
	Err      error
	To       int // the revision gone back to
	Revision int // the revision recording the rollback
}

func (e *RolledBackError) Error() string {
	return fmt.Sprintf("%v\nrolled back to revision %d (now revision %d); it is running", e.Err, e.To, e.Revision)
}

func (e *RolledBackError) Unwrap() error { return e.Err }

// stackRuns reports whether any unit of the installed stack runs.
func stackRuns(obs Observed) bool {
	for _, o := range obs {
		if o.Known && o.Active {
			return true
		}
	}
	return false
}

// loadStaged compiles the staged files as the generator will see them once
// installed: each file's path is its installed path.
func loadStaged(ctx context.Context, o InstallOptions, staged string) (*Stack, error) {
	units, diags := quadlet.Load([]string{staged})
	if diags.HasErrors() {
		return nil, diags.Err()
	}
	dst := o.Install.Layout.StackDir(o.Install.Stack)
	for _, u := range units {
		if rel, err := filepath.Rel(staged, u.Path); err == nil && u.Path != "" {
			u.Path = filepath.Join(dst, rel)
		}
	}
	st, ds, err := compileStack(o.Install.Origin, o.Install.Stack, units, o.Install.Host.Podman, o.UnitHost, nil, "")
	if err != nil {
		return nil, err
	}
	if ds.HasErrors() {
		return nil, ds.Err()
	}
	var secrets SecretVersion
	if o.Podman != nil {
		secrets = podmanSecrets(o.Podman)
	}
	st.dropTemplates()
	return st, st.Fingerprint(ctx, secrets)
}

// dropTemplates leaves out template units (web@.service): installed with
// the stack, but systemd starts only their instances, which the stack's
// own units name.
func (s *Stack) dropTemplates() {
	units := s.Units[:0]
	for _, u := range s.Units {
		if strings.Contains(u.Name, "@.") {
			delete(s.byName, u.Name)
			continue
		}
		units = append(units, u)
	}
	s.Units = units
}

// observeInstalled is what the installed stack was last applied from and
// what runs: the latest revision (or, for a stack installed before berth
// kept revisions, its installed files compiled now), its manifest and
// `systemctl show` of every unit it has or had.
func observeInstalled(ctx context.Context, o InstallOptions, latest *Revision) (*systemd.Manifest, Observed, map[string]systemd.UnitStatus, error) {
	l := o.Install.Layout
	ok, m, err := systemd.InstalledIn(l, o.Install.Stack)
	if err != nil {
		return nil, nil, nil, err
	}
	obs := Observed{}
	known := func(name string) ObservedUnit {
		ou := obs[name]
		ou.Known = true
		return ou
	}
	if latest != nil {
		for name, ru := range latest.Units {
			ou := known(name)
			ou.Hash, ou.Keys, ou.Inputs = ru.Hash, ru.Keys, ru.Inputs
			ou.Unit, _ = unitFromState(name, &UnitState{Service: stem(ru.Source), Source: ru.Source,
				Resource: ru.Resource, Hash: ru.Hash, Text: ru.Text}, o.UnitHost, o.Install.Stack)
			obs[name] = ou
		}
	} else if ok {
		if cur, err := compileInstalled(ctx, o, m.Dir); err == nil {
			for _, u := range cur.Units {
				ou := known(u.Name)
				ou.Hash, ou.Keys, ou.Unit = u.Hash, u.Keys, u
				obs[u.Name] = ou
			}
		}
	}
	names := map[string]bool{}
	if ok {
		for _, u := range m.Units {
			obs[u.Service] = known(u.Service)
		}
		for _, u := range m.Dropped {
			names[u.Service] = true
		}
	}
	for n := range obs {
		names[n] = true
	}
	list := make([]string, 0, len(names))
	for n := range names {
		if !strings.Contains(n, "@.") {
			list = append(list, n)
		}
	}
	sort.Strings(list)
	sts, err := o.Install.Manager.Status(ctx, list...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("reading the stack's units from systemd: %w", err)
	}
	status := map[string]systemd.UnitStatus{}
	for _, s := range sts {
		status[s.Name] = s
		ou := obs[s.Name]
		ou.Active = s.Active() || s.ActiveState == "activating" || s.ActiveState == "deactivating" && s.SubState != "stop"
		ou.Failed = s.Failed()
		obs[s.Name] = ou
	}
	if !ok {
		m = nil
	}
	return m, obs, status, nil
}

// compileInstalled compiles the stack's installed files as they are.
func compileInstalled(ctx context.Context, o InstallOptions, dir string) (*Stack, error) {
	units, diags := quadlet.Load([]string{dir})
	if diags.HasErrors() {
		return nil, diags.Err()
	}
	st, _, err := compileStack(dir, o.Install.Stack, units, o.Install.Host.Podman, o.UnitHost, nil, "")
	return st, err
}
