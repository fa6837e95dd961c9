package run

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"github.com/berth-dev/berth/internal/podman"
	sd "github.com/berth-dev/berth/internal/unitexec"
	"github.com/berth-dev/berth/internal/unitfile"
)

// Project ties a stack to the machine: the executor, podman and the
// remembered state.
type Project struct {
	Stack  *Stack
	Exec   *Executor
	Podman *podman.Client
	Store  Store
	// UpFlags adjust what up plans (--force-recreate, --no-recreate, --no-deps).
	UpFlags UpFlags

	locked bool // this process holds the project lock (Lock)
}

// Lock takes the project's lock for a whole command: up (through the
// supervisor's start), down (through removing the state), stop, restart
// (stop and start as one). Up, Stop, DownWith and RemoveOrphans take it
// themselves unless the caller holds it; unlock is idempotent.
func (p *Project) Lock() (unlock func(), err error) {
	if p.locked {
		return func() {}, nil
	}
	release, err := p.Store.Lock()
	if err != nil {
		return nil, err
	}
	p.locked = true
	done := false
	return func() {
		if !done {
			done, p.locked = true, false
			release()
		}
	}, nil
}

// Observe reads what runs now. Containers are recognised by their labels
// (the hash is the one they were started with); other units by the state
// file, confirmed by podman for networks and volumes.
func (p *Project) Observe(ctx context.Context) (Observed, *State, error) {
	st, err := p.Store.Load()
	if err != nil {
		return nil, nil, err
	}
	rows, err := p.Podman.PsByLabel(ctx, LabelProject, p.Stack.Project)
	if err != nil {
		return nil, nil, err
	}
	obs := Observed{}
	for name, us := range st.Units {
		obs[name] = ObservedUnit{Known: true, Failed: us.Failed != "", Hash: us.Hash, Keys: us.Keys, Inputs: us.Inputs}
	}
	var gated []*Unit
	for _, r := range rows {
		u := p.Stack.Unit(r.Labels[LabelService])
		if u == nil || r.State != "running" {
			continue
		}
		o := obs[u.Name]
		if o.Hash != r.Labels[LabelHash] { // not the container the state remembers
			o.Keys, o.Inputs = nil, nil
		}
		o.Active, o.Hash = true, r.Labels[LabelHash]
		obs[u.Name] = o
		if healthGated(u) {
			gated = append(gated, u)
		}
	}
	if err := p.observeHealth(ctx, gated, obs); err != nil {
		return nil, nil, err
	}
	for _, u := range p.Stack.Units {
		us := st.Units[u.Name]
		if u.Kind == KindContainer || us == nil || !us.Active {
			continue
		}
		if (u.Kind == KindNetwork || u.Kind == KindVolume) && u.Resource != "" {
			if ok, err := p.Podman.Exists(ctx, string(u.Kind), u.Resource); err != nil || !ok {
				continue
			}
		}
		o := obs[u.Name]
		o.Active = true
		obs[u.Name] = o
	}
	return obs, st, nil
}

// Fingerprint digests what the stack's units read at start (files, podman
// secrets), for the plan to compare with what they read last time.
func (p *Project) Fingerprint(ctx context.Context) error {
	return p.Stack.Fingerprint(ctx, podmanSecrets(p.Podman))
}

// podmanSecrets is SecretVersion over a podman client.
func podmanSecrets(c *podman.Client) SecretVersion {
	if c == nil {
		return nil
	}
	return func(ctx context.Context, name string) (string, bool, error) {
		v, ok, err := c.SecretVersion(ctx, name)
		if err != nil || !ok {
			return "", ok, err
		}
		sum := sha256.Sum256([]byte(v))
		return "secret:" + hex.EncodeToString(sum[:12]), true, nil
	}
}

// Up starts units (all when none are given) in dependency order and records
// them as wanted. It returns the plan and every outcome.
func (p *Project) Up(ctx context.Context, want []*Unit) (*Plan, []*Outcome, error) {
	unlock, err := p.Lock()
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	plan, st, err := p.PlanUp(ctx, want)
	if err != nil {
		return nil, nil, err
	}
	if err := p.CheckNames(ctx, plan); err != nil {
		return plan, nil, err
	}
	outs := p.Exec.Apply(ctx, plan)
	st.Project, st.Dir = p.Stack.Project, p.Stack.Dir
	if len(p.Stack.ConfigFiles) > 0 {
		st.ConfigFiles = p.Stack.ConfigFiles
	}
	for _, o := range outs {
		u := o.Step.Unit
		us := &UnitState{Service: u.Service, Source: u.Source, Resource: u.Resource, Hash: u.Hash, Text: u.Text,
			Keys: u.Keys, Inputs: u.Inputs}
		if prev := st.Units[u.Name]; prev != nil && o.Step.Action == ActKeep {
			us = prev
		}
		// A unit that failed to start is not wanted: the supervisor does not
		// retry what the user saw fail; the next up does.
		us.Wanted, us.Failed = o.Err == nil, ""
		if o.Err != nil {
			us.Failed = firstLine(o.Err.Error())
		}
		us.Active = o.Err == nil && (u.Svc.Type != "oneshot" || u.Svc.RemainAfterExit) &&
			(o.Started == nil || !o.Started.Exited)
		if o.Started != nil {
			us.MainPID = o.Started.MainPID
			us.StartedAt, us.StartTook = p.Exec.Clock.Now(), o.Started.Took
		}
		st.Units[u.Name] = us
	}
	return plan, outs, p.Store.Save(st)
}

// PlanUp observes the project and plans `up` of the given units (all when
// none are given): what `up --dry-run` prints and `up` carries out.
func (p *Project) PlanUp(ctx context.Context, want []*Unit) (*Plan, *State, error) {
	if err := p.Fingerprint(ctx); err != nil {
		return nil, nil, err
	}
	obs, st, err := p.Observe(ctx)
	if err != nil {
		return nil, nil, err
	}
	plan, err := PlanUp(p.Stack, want, obs)
	if err == nil {
		plan = p.UpFlags.adjust(plan, want)
	}
	return plan, st, err
}

// Stop stops units (all when none are given) and their dependants, dependants
// first, and marks them unwanted so the supervisor leaves them stopped.
func (p *Project) Stop(ctx context.Context, which []*Unit) ([]*Outcome, error) {
	unlock, err := p.Lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	return p.stopLocked(ctx, which)
}

func (p *Project) stopLocked(ctx context.Context, which []*Unit) ([]*Outcome, error) {
	st, err := p.Store.Load()
	if err != nil {
		return nil, err
	}
	plan, err := PlanStop(p.Stack, which)
	if err != nil {
		return nil, err
	}
	for _, s := range plan.Steps {
		if us := st.Units[s.Name]; us != nil {
			us.Wanted = false
		}
	}
	if err := p.Store.Save(st); err != nil {
		return nil, err
	}
	outs := p.Exec.Apply(ctx, plan)
	for _, s := range plan.Steps {
		if us := st.Units[s.Name]; us != nil {
			us.Active, us.MainPID = false, 0
		}
	}
	return outs, p.Store.Save(st)
}

// Down stops everything, removes the project's containers (also those of
// units no longer in the folder), its networks and, with volumes, its
// volumes, then forgets the state.
func (p *Project) Down(ctx context.Context, volumes bool) error {
	_, err := p.DownWith(ctx, DownOptions{Volumes: volumes, RemoveOrphans: true})
	return err
}

// DownOptions select what DownWith removes.
type DownOptions struct {
	Volumes bool // the stack's volumes and the podman secrets berth made
	// RemoveOrphans also removes the project's containers whose service is
	// not in the stack (a service removed from the compose file, or one
	// only another -f file declares); without it they are kept and
	// reported, as docker compose keeps them.
	RemoveOrphans bool
	// Services limits down to these units and their dependants (down
	// SERVICE...); networks and volumes are then kept.
	Services []*Unit
	// Timeout is how long podman rm waits for a container that is still
	// running after its unit stopped, in seconds (0: 10).
	Timeout int
}

// DownResult says what down left behind.
type DownResult struct {
	Orphans []string // containers of the project kept as orphans
	// Remaining: containers of the project are left (orphans, or services
	// not named), so its state and supervisor must stay.
	Remaining bool
}

// DownWith stops the stack (or the given services), removes their
// containers and, for a whole stack, its networks and (with Volumes) its
// volumes. What it leaves of the project keeps its state.
func (p *Project) DownWith(ctx context.Context, o DownOptions) (DownResult, error) {
	var res DownResult
	unlock, err := p.Lock()
	if err != nil {
		return res, err
	}
	defer unlock()
	plan, err := PlanStop(p.Stack, o.Services)
	if err != nil {
		return res, err
	}
	down := map[string]bool{} // services going down
	for _, s := range plan.Steps {
		down[s.Unit.Service] = true
	}
	outs, err := p.stopLocked(ctx, o.Services)
	if err != nil {
		return res, err
	}
	errs := Failed(outs)
	rows, _ := p.Podman.PsByLabel(ctx, LabelProject, p.Stack.Project) // none found: nothing to remove
	var names []string
	for _, r := range rows {
		svc := r.Labels[LabelService]
		if o := r.Labels[LabelOneOff]; o != "" {
			svc = o // a berth run container goes with its service
		}
		svc = p.Stack.serviceOf(svc)
		switch {
		case down[svc] || o.Services == nil && p.Stack.Declared[svc] ||
			o.RemoveOrphans && o.Services == nil && p.Stack.Unit(svc) == nil:
			names = append(names, r.Name())
		case p.Stack.Unit(svc) == nil:
			res.Orphans = append(res.Orphans, r.Name())
			res.Remaining = true
		default:
			res.Remaining = true
		}
	}
	sort.Strings(res.Orphans)
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10
	}
	if err := p.Podman.Remove(ctx, timeout, names...); err != nil {
		errs = append(errs, err)
	}
	if o.Services == nil {
		errs = append(errs, p.removeResources(ctx, o.Volumes, res.Remaining)...)
	}
	if err := p.forget(down); err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// removeResources removes the stack's networks and, with volumes, its
// volumes and secrets. When containers of the project remain (orphans),
// a network or volume they use is kept, not removed from under them.
func (p *Project) removeResources(ctx context.Context, volumes, remaining bool) []error {
	var errs []error
	for _, kind := range []Kind{KindNetwork, KindVolume} {
		if kind == KindVolume && !volumes {
			continue
		}
		for _, name := range p.resources(kind) {
			labels, ok, _ := p.Podman.Labels(ctx, string(kind), name)
			if !ok {
				continue
			}
			if owner := labels[LabelProject]; owner != p.Stack.Project {
				p.Exec.progressName(name, keptReason(kind, owner))
				continue
			}
			args := []string{string(kind), "rm", "-f", name}
			if remaining {
				args = []string{string(kind), "rm", name}
			}
			p.Exec.progressName(name, "removing "+string(kind))
			if _, err := p.Podman.Output(ctx, args...); err != nil {
				if remaining {
					p.Exec.progressName(name, "kept: still in use by containers of the project")
					continue
				}
				errs = append(errs, err)
			}
		}
	}
	if volumes && !remaining {
		errs = append(errs, p.removeSecrets(ctx)...)
	}
	return errs
}

// forget drops the state of the units of the services that went down; the
// rest (orphans, services not named) stays known.
func (p *Project) forget(down map[string]bool) error {
	st, err := p.Store.Load()
	if err != nil {
		return err
	}
	for name, us := range st.Units {
		if down[us.Service] || p.Stack.Unit(name) != nil && down[p.Stack.Unit(name).Service] {
			delete(st.Units, name)
		}
	}
	st.Project, st.Dir = p.Stack.Project, p.Stack.Dir
	return p.Store.Save(st)
}

// keptReason says why down leaves a network or volume of the stack alone.
func keptReason(kind Kind, owner string) string {
	if owner == "" {
		return fmt.Sprintf("kept: this %s was not created by berth (no %s label)", kind, LabelProject)
	}
	return fmt.Sprintf("kept: this %s belongs to project %s", kind, owner)
}

// removeSecrets removes the podman secrets berth created for the project
// (labelled io.berth.project) from its compose secrets' files and
// variables: `down --volumes` leaves nothing of the project behind, and the
// next up creates them again from their sources. External secrets carry no
// such label and are never touched.
func (p *Project) removeSecrets(ctx context.Context) []error {
	names, err := p.Podman.SecretsByLabel(ctx, LabelProject, p.Stack.Project)
	if err != nil {
		return []error{fmt.Errorf("listing the project's secrets: %w", err)}
	}
	var errs []error
	for _, n := range names {
		p.Exec.progressName(n, "removing secret")
		if err := p.Podman.SecretRemove(ctx, n); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// resources lists the names of the stack's networks or volumes, sorted.
func (p *Project) resources(kind Kind) []string {
	var out []string
	for _, u := range p.Stack.Units {
		if u.Kind == kind && u.Resource != "" {
			out = append(out, u.Resource)
		}
	}
	sort.Strings(out)
	return out
}

func (e *Executor) progressName(name, status string) {
	if e.Progress != nil {
		e.Progress(name, status)
	}
}

// unitFromState rebuilds a unit from the compiled text it was started from,
// so that a restart runs exactly what `up` ran even if the folder changed.
func unitFromState(name string, us *UnitState, host *sd.Host, project string) (*Unit, error) {
	f, diags := unitfile.Parse(name, []byte(us.Text))
	if diags.HasErrors() {
		return nil, fmt.Errorf("%s: stored unit: %v", name, diags)
	}
	u := &Unit{Service: us.Service, Source: us.Source, Name: name, Kind: kindOf(us.Source), Resource: us.Resource,
		Hash: us.Hash, Text: us.Text}
	svc, err := sd.Load(f, name, host)
	if err != nil {
		return nil, err
	}
	u.Svc = svc
	adaptUnit(u, project)
	return u, nil
}

// Orphans lists the project's containers whose service is not in the stack
// (removed from the compose file, or declared only by another -f file).
func (p *Project) Orphans(ctx context.Context) ([]string, error) {
	return p.containersWhere(ctx, func(labels map[string]string) bool {
		svc := p.Stack.serviceOf(labels[LabelService])
		return p.Stack.Unit(svc) == nil && !p.Stack.Declared[svc] && p.Stack.Unit(labels[LabelOneOff]) == nil
	})
}

// containersWhere lists, sorted, the names of the project's containers
// whose labels pass keep: Orphans and Surplus share it.
func (p *Project) containersWhere(ctx context.Context, keep func(labels map[string]string) bool) ([]string, error) {
	rows, err := p.Podman.PsByLabel(ctx, LabelProject, p.Stack.Project)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rows {
		if keep(r.Labels) {
			out = append(out, r.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// RemoveOrphans removes the given orphan containers and forgets their state.
func (p *Project) RemoveOrphans(ctx context.Context, names []string) error {
	unlock, err := p.Lock()
	if err != nil {
		return err
	}
	defer unlock()
	for _, n := range names {
		p.Exec.progressName(n, "removing orphan")
	}
	if err := p.Podman.Remove(ctx, 10, names...); err != nil {
		return err
	}
	st, err := p.Store.Load()
	if err != nil {
		return err
	}
	for name, us := range st.Units {
		if p.Stack.Unit(name) == nil && p.Stack.Unit(us.Service) == nil {
			delete(st.Units, name)
		}
	}
	return p.Store.Save(st)
}

// Surplus lists replica containers of a service that the stack now runs
// fewer of (SERVICE-3 after scaling down to 2): up removes them, as docker
// compose does when it scales down.
func (p *Project) Surplus(ctx context.Context) ([]string, error) {
	return p.containersWhere(ctx, func(labels map[string]string) bool {
		svc := labels[LabelService]
		return svc != "" && labels[LabelOneOff] == "" && p.Stack.Unit(svc) == nil && p.Stack.serviceOf(svc) != svc
	})
}
