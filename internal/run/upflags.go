package run

// UpFlags are docker compose up's recreate and dependency switches. They
// adjust the plan the one planner made; they never plan anything of their
// own.
type UpFlags struct {
	ForceRecreate bool // recreate running containers even if unchanged
	NoRecreate    bool // keep running containers even if changed
	NoDeps        bool // start only the services asked for, not the containers they need
	// AlwaysRecreateDeps recreates the containers a recreated container
	// depends on, too.
	AlwaysRecreateDeps bool
	// Recreate names units to recreate even if unchanged (up --build:
	// containers whose image was just rebuilt).
	Recreate map[string]bool
}

// adjust applies the flags to a plan of `up` for want (nil: the stack).
func (f UpFlags) adjust(p *Plan, want []*Unit) *Plan {
	wanted := map[string]bool{}
	for _, u := range want {
		wanted[u.Name] = true
	}
	dropped := map[string]bool{}
	var steps []*Step
	for _, s := range p.Steps {
		u := s.Unit
		container := u != nil && u.Kind == KindContainer
		switch {
		case f.NoDeps && len(want) > 0 && container && !wanted[s.Name]:
			dropped[s.Name] = true
			continue
		case f.ForceRecreate && container && s.Action == ActKeep:
			s.Action, s.Changed, s.Reason = ActChange, []string{"--force-recreate"}, ""
		case f.Recreate[s.Name] && container && s.Action == ActKeep:
			s.Action, s.Changed, s.Reason = ActChange, []string{"image rebuilt"}, ""
		case f.NoRecreate && container && (s.Action == ActChange || s.Action == ActRestart):
			s.Action, s.Reason, s.Changed, s.Because = ActKeep, "kept (--no-recreate)", nil, ""
		}
		steps = append(steps, s)
	}
	if f.AlwaysRecreateDeps {
		recreateDeps(steps)
	}
	for _, s := range steps {
		after := s.After[:0]
		for _, a := range s.After {
			if !dropped[a] {
				after = append(after, a)
			}
		}
		s.After = after
	}
	p.Steps = steps
	return p
}

// recreateDeps turns kept containers that a changed container requires
// into changes, transitively.
func recreateDeps(steps []*Step) {
	byName := map[string]*Step{}
	for _, s := range steps {
		byName[s.Name] = s
	}
	for changed := true; changed; {
		changed = false
		for _, s := range steps {
			if s.Unit == nil || s.Action != ActChange || s.Unit.Svc == nil {
				continue
			}
			for _, r := range s.Unit.Svc.Requirements() {
				if d := byName[r]; d != nil && d.Unit != nil && d.Unit.Kind == KindContainer && d.Action == ActKeep {
					d.Action, d.Changed, d.Reason = ActChange, []string{"--always-recreate-deps"}, ""
					changed = true
				}
			}
		}
	}
}
