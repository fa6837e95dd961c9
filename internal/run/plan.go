package run

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Action is what a plan does with a unit. The words are the same for both
// executors (`berth up` without systemd, `berth install` under it), their
// dry runs and `berth diff`.
type Action string

// Actions.
const (
	ActAdd     Action = "add"     // new in the stack: started (or only installed, see Step.NoStart)
	ActStart   Action = "start"   // known but not running: started
	ActChange  Action = "change"  // running, and its unit or what it reads at start changed: restarted
	ActRestart Action = "restart" // running and unchanged, but a unit it needs restarts
	ActRemove  Action = "remove"  // no longer in the stack: stopped before its files go
	ActKeep    Action = "keep"    // running (or done) and unchanged: left alone
	ActStop    Action = "stop"    // stopped on request (berth stop/down)
)

// Observed is what an executor found, by unit name: the units of the last
// apply and what runs now. The built-in executor fills it from podman and
// its state file, the systemd side from the installed stack's last revision
// and `systemctl show`; the planner does not know which.
type Observed map[string]ObservedUnit

// ObservedUnit is one unit as it was last applied, and whether it runs.
type ObservedUnit struct {
	Known  bool   // part of the last apply (it may have stopped since)
	Active bool   // running, or a oneshot that remains active
	Failed bool   // its last start failed
	Hash   string // of the compiled unit it was started from ("" unknown)
	// Keys are the digests of the quadlet keys it was compiled from, by
	// key ("Environment=", "[Service] Restart="), for saying what changed.
	Keys map[string]string
	// Inputs are the digests of what it read at start (Fingerprint); nil
	// when not recorded, and then not compared.
	Inputs map[string]string
	// Unit is the unit as last applied, when it can be rebuilt (for the
	// order in which dropped units are stopped); may be nil.
	Unit *Unit
	// Unready is an active unit that is not ready yet: a health-gated
	// container podman does not report healthy (an up was interrupted
	// while it started, or it turned unhealthy). Units that wait for it
	// wait for its health again.
	Unready bool
}

// Step is one unit's part of a plan.
type Step struct {
	Name   string // the systemd unit ("db.service")
	Unit   *Unit  // nil for a removed unit that cannot be rebuilt
	Action Action
	After  []string // units (of this plan, not kept) that must be done first
	// Changed lists what changed (ActChange): quadlet keys ("Environment="),
	// files ("agent.env"), secrets ("secret db-pass"), or "compiled unit".
	Changed []string
	Because string // ActRestart: the unit whose restart restarts this one
	Reason  string // free text ("not running", "no longer in the stack")
	NoStart bool   // installed only: the stack is not started
	Fail    string // the step cannot run (a Requisite= unit is not active)
	// Wait: a kept unit that is not ready (ObservedUnit.Unready); the
	// executor waits for its health before the units ordered after it.
	Wait bool
}

// Plan is an ordered list of steps: removals first, then every step after
// the steps it waits for, ties broken by name, so that String is
// deterministic.
type Plan struct {
	Steps []*Step
}

// String renders the plan, one line per unit: the action, the unit and why.
func (p *Plan) String() string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(s.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String renders one step as a line of the plan.
func (s *Step) String() string {
	line := fmt.Sprintf("%-7s %s", s.Action, s.Name)
	var notes []string
	switch {
	case len(s.Changed) > 0:
		notes = append(notes, strings.Join(s.Changed, ", "))
	case s.Because != "":
		notes = append(notes, s.Because+" restarts")
	}
	if s.Reason != "" {
		notes = append(notes, s.Reason)
	}
	if s.NoStart {
		notes = append(notes, "installed, not started")
	}
	if s.Fail != "" {
		notes = append(notes, "cannot start: "+s.Fail)
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, "; ") + ")"
	}
	return line
}

// why is the step's reason as the plan prints it, " (...)", or "".
func (s *Step) why() string {
	switch {
	case len(s.Changed) > 0:
		return " (" + strings.Join(s.Changed, ", ") + ")"
	case s.Because != "":
		return " (" + s.Because + " restarts)"
	}
	return ""
}

// Summary is the plan in one line: "plan: 1 to add, 2 to change, ...".
func (p *Plan) Summary() string {
	n := map[Action]int{}
	for _, s := range p.Steps {
		n[s.Action]++
	}
	var parts []string
	for _, a := range []struct {
		act  Action
		verb string
	}{{ActAdd, "to add"}, {ActStart, "to start"}, {ActChange, "to change"}, {ActRestart, "to restart"},
		{ActRemove, "to remove"}, {ActStop, "to stop"}, {ActKeep, "unchanged"}} {
		if n[a.act] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[a.act], a.verb))
		}
	}
	if len(parts) == 0 {
		return "plan: nothing to do"
	}
	return "plan: " + strings.Join(parts, ", ")
}

// Changes reports whether the plan does anything but keep.
func (p *Plan) Changes() bool {
	for _, s := range p.Steps {
		if s.Action != ActKeep {
			return true
		}
	}
	return false
}

// PlanOptions shape a plan.
type PlanOptions struct {
	Want []*Unit // start these and what they pull in; nil means the whole stack
	// Prune plans the removal of observed units that are no longer in the
	// stack (an installed stack's dropped files).
	Prune bool
	// NoStart installs without starting: units that do not run are not
	// started, and nothing running is restarted (the stack is stopped).
	NoStart bool
}

// PlanUp plans starting the given units (all when empty) and what they pull
// in. Active unchanged units are kept; changed ones are restarted together
// with the units that require them, are bound to or part of them.
func PlanUp(st *Stack, want []*Unit, obs Observed) (*Plan, error) {
	return PlanApply(st, obs, PlanOptions{Want: want})
}

// PlanApply compares the stack with what was observed and plans the
// difference: add, start, change, restart, remove or keep each unit.
func PlanApply(st *Stack, obs Observed, o PlanOptions) (*Plan, error) {
	set := closure(st, o.Want)
	actions := map[string]*Step{}
	for name := range set {
		u := st.byName[name]
		actions[name] = planUnit(st, u, obs[name], set, obs, o.NoStart)
	}
	propagateRestart(st, actions)
	var removed []*Step
	if o.Prune {
		for name, ou := range obs {
			if st.byName[name] == nil && (ou.Known || ou.Active) {
				removed = append(removed, &Step{Name: name, Unit: ou.Unit, Action: ActRemove, Reason: "no longer in the stack"})
			}
		}
	}
	rm, err := orderRemovals(removed)
	if err != nil {
		return nil, err
	}
	plan, err := order(st, actions, false)
	if err != nil {
		return nil, err
	}
	plan.Steps = append(rm, plan.Steps...)
	return plan, nil
}

// planUnit decides one unit of the stack.
func planUnit(st *Stack, u *Unit, ou ObservedUnit, set map[string]bool, obs Observed, noStart bool) *Step {
	step := &Step{Name: u.Name, Unit: u, Action: ActAdd}
	changed := Changes(u, ou)
	switch {
	case ou.Active && len(changed) == 0:
		step.Action = ActKeep
		if ou.Unready {
			step.Wait, step.Reason = true, "not healthy yet: waiting for it"
		}
	case ou.Active:
		step.Action, step.Changed = ActChange, changed
	case ou.Known && len(changed) == 0 && !ou.Failed && u.Svc.Type == "oneshot" && !u.Svc.RemainAfterExit:
		step.Action = ActKeep // a build or pull that ran and has nothing new to do
	case ou.Known && len(changed) > 0:
		step.Action, step.Changed = ActChange, changed // not running: started as changed
	case ou.Known:
		step.Action, step.Reason = ActStart, "not running"
	}
	if noStart && !ou.Active && step.Action != ActKeep {
		step.NoStart = true
	}
	for _, r := range u.Svc.Deps.Requisite {
		if st.byName[r] != nil && !set[r] && !obs[r].Active {
			step.Fail = "requisite " + r + " is not active"
		}
	}
	return step
}

// Changes lists what differs between a unit and how it was last applied:
// the quadlet keys that changed (or "compiled unit" when only the
// compilation did), then the files and secrets it reads at start. Empty
// means unchanged; a unit never applied has no changes.
func Changes(u *Unit, ou ObservedUnit) []string {
	if !ou.Known && !ou.Active {
		return nil
	}
	var out []string
	if ou.Hash != u.Hash {
		keys := changedKeys(u.Keys, ou.Keys)
		if len(keys) == 0 || ou.Keys == nil {
			keys = []string{"compiled unit"}
		}
		out = append(out, keys...)
	}
	if ou.Inputs != nil && u.Inputs != nil {
		out = append(out, changedKeys(u.Inputs, ou.Inputs)...)
	}
	return out
}

// changedKeys are the keys whose value differs between cur and old, or
// that only one of them has, sorted: the changed quadlet keys and the
// changed input files and secrets alike.
func changedKeys(cur, old map[string]string) []string {
	var out []string
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			out = append(out, k)
		}
	}
	for k := range old {
		if _, ok := cur[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// PlanStop plans stopping units (all when empty) and those that depend on
// them, dependants first.
func PlanStop(st *Stack, which []*Unit) (*Plan, error) {
	set := map[string]bool{}
	if len(which) == 0 {
		for _, u := range st.Units {
			set[u.Name] = true
		}
	}
	for _, u := range which {
		set[u.Name] = true
	}
	for changed := true; changed; {
		changed = false
		for _, u := range st.Units {
			if set[u.Name] {
				continue
			}
			for _, d := range stopDeps(u) {
				if set[d] {
					set[u.Name], changed = true, true
					break
				}
			}
		}
	}
	actions := map[string]*Step{}
	for name := range set {
		actions[name] = &Step{Name: name, Unit: st.byName[name], Action: ActStop}
	}
	return order(st, actions, true)
}

// stopDeps are the units whose stop (or restart) also stops (restarts) u:
// systemd propagates both along Requires=, BindsTo= and PartOf=.
func stopDeps(u *Unit) []string {
	d := u.Svc.Deps
	return concat(d.Requires, d.BindsTo, d.PartOf)
}

// closure is want plus everything it pulls in, restricted to the stack:
// units outside it (network-online.target, ...) count as satisfied.
func closure(st *Stack, want []*Unit) map[string]bool {
	set := map[string]bool{}
	var visit func(u *Unit)
	visit = func(u *Unit) {
		if set[u.Name] {
			return
		}
		set[u.Name] = true
		for _, d := range u.Svc.PullsIn() {
			if du := st.byName[d]; du != nil {
				visit(du)
			}
		}
		for _, other := range st.Units { // Upholds= and PartOf= pull the other way
			for _, d := range other.Svc.Deps.PartOf {
				if d == u.Name && len(want) == 0 {
					visit(other)
				}
			}
		}
	}
	if len(want) == 0 {
		want = st.Units
	}
	for _, u := range want {
		visit(u)
	}
	return set
}

// propagateRestart marks running units that depend on a restarting unit:
// they restart with it.
func propagateRestart(st *Stack, actions map[string]*Step) {
	restarts := func(s *Step) bool {
		return !s.NoStart && (s.Action == ActChange || s.Action == ActRestart)
	}
	for changed := true; changed; {
		changed = false
		for _, name := range slices.Sorted(maps.Keys(actions)) {
			s := actions[name]
			if s.Action != ActKeep || s.Unit.Svc.Type == "oneshot" && !s.Unit.Svc.RemainAfterExit {
				continue
			}
			for _, d := range stopDeps(s.Unit) {
				if ds := actions[d]; ds != nil && restarts(ds) {
					s.Action, s.Because = ActRestart, d
					changed = true
					break
				}
			}
		}
	}
}

// orderRemovals sorts the removed units so that a unit is stopped before
// the units it needs (when they can be rebuilt), else by name.
func orderRemovals(steps []*Step) ([]*Step, error) {
	if len(steps) == 0 {
		return nil, nil
	}
	st := &Stack{byName: map[string]*Unit{}}
	actions := map[string]*Step{}
	var bare []*Step
	for _, s := range steps {
		if s.Unit == nil {
			bare = append(bare, s)
			continue
		}
		st.byName[s.Name] = s.Unit
		actions[s.Name] = s
	}
	p, err := order(st, actions, true)
	if err != nil {
		return nil, err
	}
	sort.Slice(bare, func(i, j int) bool { return bare[i].Name < bare[j].Name })
	return append(bare, p.Steps...), nil
}

// order sorts steps so that each follows the steps it must wait for
// (After=/Before= between units of the plan; reversed when stopping).
func order(st *Stack, actions map[string]*Step, reverse bool) (*Plan, error) {
	edges := map[string]map[string]bool{} // unit -> units it waits for
	add := func(from, to string) {
		if actions[from] == nil || actions[to] == nil || from == to {
			return
		}
		if reverse {
			from, to = to, from
		}
		if edges[from] == nil {
			edges[from] = map[string]bool{}
		}
		edges[from][to] = true
	}
	for name, s := range actions {
		for _, a := range s.Unit.Svc.Deps.After {
			add(name, a)
		}
		for _, b := range s.Unit.Svc.Deps.Before {
			add(b, name)
		}
	}
	names := slices.Sorted(maps.Keys(actions))
	plan := &Plan{}
	done := map[string]bool{}
	for len(done) < len(names) {
		progressed := false
		for _, n := range names {
			if done[n] || !allDone(edges[n], done) {
				continue
			}
			s := actions[n]
			for d := range edges[n] {
				if actions[d].Action != ActKeep || actions[d].Wait {
					s.After = append(s.After, d)
				}
			}
			sort.Strings(s.After)
			plan.Steps = append(plan.Steps, s)
			done[n] = true
			progressed = true
		}
		if !progressed {
			return nil, fmt.Errorf("ordering cycle between %s", strings.Join(pending(names, done), ", "))
		}
	}
	return plan, nil
}

func allDone(deps map[string]bool, done map[string]bool) bool {
	for d := range deps {
		if !done[d] {
			return false
		}
	}
	return true
}

func pending(names []string, done map[string]bool) []string {
	var out []string
	for _, n := range names {
		if !done[n] {
			out = append(out, n)
		}
	}
	return out
}

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
