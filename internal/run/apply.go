package run

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/observe"
)

// Outcome is what happened to one step.
type Outcome struct {
	Step    *Step
	Started *Started
	Err     error
}

// Apply runs a plan: every step in its own goroutine, each waiting for the
// steps it is ordered after. A step whose requirement failed is not run.
// Outcomes are returned in plan order.
func (e *Executor) Apply(ctx context.Context, p *Plan) []*Outcome {
	done := map[string]chan struct{}{}
	outs := map[string]*Outcome{}
	for _, s := range p.Steps {
		done[s.Name] = make(chan struct{})
		outs[s.Name] = &Outcome{Step: s}
	}
	var wg sync.WaitGroup
	for _, s := range p.Steps {
		wg.Add(1)
		go func(s *Step) {
			defer wg.Done()
			defer close(done[s.Name])
			for _, d := range s.After {
				select {
				case <-done[d]:
				case <-ctx.Done():
				}
			}
			out := outs[s.Name]
			if err := e.blocked(s, outs); err != nil {
				out.Err = err
				e.progress(s.Unit, "failed: "+err.Error())
				return
			}
			out.Started, out.Err = e.runStep(ctx, s)
		}(s)
	}
	wg.Wait()
	res := make([]*Outcome, len(p.Steps))
	for i, s := range p.Steps {
		res[i] = outs[s.Name]
	}
	return res
}

// ErrDependency marks a unit not started because a requirement failed.
var ErrDependency = errors.New("dependency failed to start")

func (e *Executor) blocked(s *Step, outs map[string]*Outcome) error {
	if s.Action == ActStop || s.Action == ActRemove {
		return nil
	}
	if s.Fail != "" {
		return fmt.Errorf("%s: %s", s.Name, s.Fail)
	}
	if s.Unit == nil {
		return nil
	}
	for _, r := range s.Unit.Svc.Requirements() {
		if o := outs[r]; o != nil && o.Err != nil {
			var se *StartError
			if errors.As(o.Err, &se) && se.Reason != "" {
				return fmt.Errorf("%w: %s", ErrDependency, se.Reason)
			}
			return fmt.Errorf("%w: %s", ErrDependency, r)
		}
	}
	return nil
}

func (e *Executor) runStep(ctx context.Context, s *Step) (*Started, error) {
	u := s.Unit
	if u == nil { // a removed unit whose compiled text is lost: its containers go with `down`
		return nil, nil
	}
	switch s.Action {
	case ActKeep:
		if s.Wait {
			return e.awaitHealthy(ctx, u)
		}
		if u.Kind == KindContainer {
			e.progress(u, "running (unchanged)")
		} else {
			e.progress(u, "active (unchanged)")
		}
		return nil, nil
	case ActStop:
		e.progress(u, "stopping")
		_, end := observe.StartUnit(ctx, "stop", u.Name)
		err := e.Stop(ctx, u, 0)
		end(err)
		e.progress(u, "stopped")
		return nil, err
	case ActChange, ActRestart:
		e.progress(u, "recreating"+s.why())
		_ = e.Stop(ctx, u, 0)
	case ActRemove:
		e.progress(u, "removing (no longer in the stack)")
		err := e.Stop(ctx, u, 0)
		e.progress(u, "removed")
		return nil, err
	}
	if u.Kind == KindContainer {
		e.progress(u, "starting")
	} else {
		e.progress(u, "creating")
	}
	t0 := e.Clock.Now()
	sctx, end := observe.StartUnit(ctx, "start", u.Name)
	st, err := e.Start(sctx, u)
	end(err)
	if err != nil {
		e.progress(u, "failed: "+firstLine(err.Error()))
		return nil, err
	}
	st.Took = e.Clock.Now().Sub(t0)
	if st.Exited {
		e.progress(u, "exited (0)")
		return st, nil
	}
	e.progress(u, fmt.Sprintf("ready (%s)", st.Took.Round(time.Millisecond)))
	return st, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// Failed returns the errors of outcomes that failed on their own (not
// because a dependency did).
func Failed(outs []*Outcome) []error {
	var errs []error
	for _, o := range outs {
		if o.Err != nil && !errors.Is(o.Err, ErrDependency) {
			errs = append(errs, o.Err)
		}
	}
	return errs
}
