package run

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
)

// TestUpStartsFeedSupervisorMetrics: the start `up` timed (with the
// injected clock) is recorded in the state file and, once, in the
// supervisor's start-duration metric; a later reload does not count it
// again, a new start by `up` does.
func TestUpStartsFeedSupervisorMetrics(t *testing.T) {
	st := testStack(t, map[string]string{"web.container": "[Container]\nImage=localhost/web\n"})
	var order []string
	var mu sync.Mutex
	stub := notifyingStub(&order, &mu, 0)
	stub.On("podman ps", 0, "[]")
	stub.On("podman container inspect", 0, fmt.Sprintf(`[{"Id":"abc","Name":%q,"State":{"Status":"running","Running":true,"ConmonPid":%d},"Config":{"Labels":{"io.berth.project":"proj"}}}]`,
		st.Unit("web").Resource, os.Getpid()))
	e := testExecutor(t, stub)
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	e.Clock = clock
	p := &Project{Stack: st, Exec: e, Podman: &podman.Client{Runner: stub}, Store: Store{Dir: t.TempDir()}}
	ctx := context.Background()
	if _, outs, err := p.Up(ctx, nil); err != nil || len(Failed(outs)) > 0 {
		t.Fatalf("up: %v %v", err, Failed(outs))
	}
	state, err := p.Store.Load()
	if err != nil {
		t.Fatal(err)
	}
	us := state.Units["web.service"]
	if us.StartedAt.IsZero() || us.StartTook < 0 {
		t.Fatalf("start not recorded: %+v", us)
	}
	// A known duration makes the histogram's sum checkable.
	us.StartTook = 1500 * time.Millisecond
	if err := p.Store.Save(state); err != nil {
		t.Fatal(err)
	}
	m := observe.NewMetrics("proj")
	s := &Supervisor{P: p, Clock: clock, Metrics: m}
	for i := 0; i < 2; i++ {
		if err := s.Reload(ctx); err != nil {
			t.Fatal(err)
		}
	}
	text := scrape(m)
	for _, want := range []string{
		`berth_service_start_duration_seconds_count{service="web",stack="proj"} 1`,
		`berth_service_start_duration_seconds_sum{service="web",stack="proj"} 1.5`,
		`berth_service_ready{service="web",stack="proj"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s:\n%s", want, text)
		}
	}
	// A second start by up (a recreate) is counted too.
	_ = p.Store.Update(func(st *State) error {
		st.Units["web.service"].StartedAt = clock.Now().Add(time.Minute)
		return nil
	})
	if err := s.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if text := scrape(m); !strings.Contains(text, `berth_service_start_duration_seconds_count{service="web",stack="proj"} 2`) {
		t.Errorf("second start not counted:\n%s", text)
	}
}
