package run

import (
	"fmt"
	"sort"
	"strings"
)

// Action is what a plan does with a unit.
type Action string

// Actions.
const (
	ActStart    Action = "start"
	ActKeep     Action = "keep"     // active and unchanged
	ActRecreate Action = "recreate" // active but its compiled unit changed, or a dependency is recreated
	ActStop     Action = "stop"
)

// Observed is what is running now, by unit name.
type Observed map[string]ObservedUnit

// ObservedUnit is one unit's current state.
type ObservedUnit struct {
	Active bool
	Hash   string // the compiled unit's hash it was started from
}

// Step is one unit's part of a plan.
type Step struct {
	Unit   *Unit
	Action Action
	After  []string // units (of this plan, not kept) that must be done first
	Reason string
	Fail   string // the step cannot run (a Requisite= unit is not active)
}

// Plan is an ordered list of steps: every step comes after the steps it
// waits for, ties broken by name, so that String is deterministic.
type Plan struct {
	Steps []*Step
}

// String renders the plan, one step per line.
func (p *Plan) String() string {
	var b strings.Builder
	for _, s := range p.Steps {
		b.WriteString(string(s.Action) + " " + s.Unit.Name)
		var notes []string
		if len(s.After) > 0 {
			notes = append(notes, "after "+strings.Join(s.After, ", "))
		}
		if s.Reason != "" {
			notes = append(notes, s.Reason)
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, "; ") + ")")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// PlanUp plans starting the given units (all when empty) and what they pull
// in. Active unchanged units are kept; changed ones are recreated together
// with the units that require them, are bound to or part of them.
func PlanUp(st *Stack, want []*Unit, obs Observed) (*Plan, error) {
	set := closure(st, want)
	actions := map[string]*Step{}
	for name := range set {
		u := st.byName[name]
		o := obs[name]
		step := &Step{Unit: u, Action: ActStart}
		switch {
		case o.Active && o.Hash == u.Hash:
			step.Action, step.Reason = ActKeep, "unchanged"
		case o.Active:
			step.Action, step.Reason = ActRecreate, "changed"
		}
		for _, r := range u.Svc.Deps.Requisite {
			if st.byName[r] != nil && !set[r] && !obs[r].Active {
				step.Fail = "requisite " + r + " is not active"
			}
		}
		actions[name] = step
	}
	propagateRecreate(st, actions)
	return order(st, actions, false)
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
		actions[name] = &Step{Unit: st.byName[name], Action: ActStop}
	}
	return order(st, actions, true)
}

// stopDeps are the units whose stop also stops u.
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

// propagateRecreate marks units that depend on a recreated unit.
func propagateRecreate(st *Stack, actions map[string]*Step) {
	for changed := true; changed; {
		changed = false
		for _, s := range actions {
			if s.Action != ActKeep {
				continue
			}
			for _, d := range stopDeps(s.Unit) {
				if ds := actions[d]; ds != nil && ds.Action == ActRecreate {
					s.Action, s.Reason = ActRecreate, "depends on "+d
					changed = true
					break
				}
			}
		}
	}
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
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
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
				if actions[d].Action != ActKeep {
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
