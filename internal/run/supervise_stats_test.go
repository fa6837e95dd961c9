package run

import (
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
)

// statsFixture: web recorded as started, its container running (conmon is
// this test process, so it never exits), podman stats answering for it.
func statsFixture(t *testing.T, every time.Duration) (*Supervisor, *podman.Stub, *observe.Metrics) {
	st := testStack(t, map[string]string{"web.container": "[Container]\nImage=localhost/web\n"})
	u := st.Unit("web")
	stub := &podman.Stub{}
	stub.On("podman container inspect", 0, fmt.Sprintf(`[{"Id":"abc","Name":%q,"State":{"Status":"running","Running":true,"ConmonPid":%d},"Config":{"Labels":{"io.berth.project":"proj"}}}]`, u.Resource, os.Getpid()))
	stub.On("podman stats --no-stream --format json "+u.Resource, 0,
		fmt.Sprintf(`[{"id":"abc","name":%q,"cpu_time":"1.5s","mem_usage":"6.857MB / 25.28GB"}]`, u.Resource))
	store := Store{Dir: t.TempDir()}
	p := &Project{Stack: st, Exec: testExecutor(t, stub), Podman: &podman.Client{Runner: stub}, Store: store}
	state := &State{Project: "proj", Units: map[string]*UnitState{u.Name: {Service: u.Service, Source: u.Source,
		Resource: u.Resource, Hash: u.Hash, Text: u.Text, Wanted: true, Active: true}}}
	if err := store.Save(state); err != nil {
		t.Fatal(err)
	}
	m := observe.NewMetrics("proj")
	return &Supervisor{P: p, Clock: &fakeClock{now: time.Unix(1_000_000, 0)}, Tick: time.Millisecond, Metrics: m, StatsEvery: every}, stub, m
}

func scrape(m *observe.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}

// TestSupervisorSamplesStats: one podman stats per interval of the
// (virtual) clock for the running containers, recorded per service.
func TestSupervisorSamplesStats(t *testing.T) {
	s, stub, m := statsFixture(t, time.Minute)
	defer startSupervisor(t, s)()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(scrape(m), `berth_service_memory_bytes{service="web",stack="proj"} 6.857e+06`) {
		if time.Now().After(deadline) {
			t.Fatalf("no memory gauge; commands %q\n%s", stub.Commands(), scrape(m))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(scrape(m), `berth_service_cpu_seconds_total{service="web",stack="proj"} 1.5`) {
		t.Errorf("no CPU counter:\n%s", scrape(m))
	}
	// Each tick advances the fake clock by 1 ms: a minute is 60000 ticks,
	// far more than run in the next 100 ms, so no second sample yet.
	time.Sleep(100 * time.Millisecond)
	if n := stub.Count("podman stats"); n != 1 {
		t.Errorf("%d podman stats calls within one interval, want 1", n)
	}
}

func TestSupervisorStatsOffAndWithoutMetrics(t *testing.T) {
	for _, tc := range []struct {
		name    string
		every   time.Duration
		metrics bool
	}{{"negative interval", -1, true}, {"no metrics", time.Millisecond, false}} {
		s, stub, _ := statsFixture(t, tc.every)
		if !tc.metrics {
			s.Metrics = nil
		}
		cancel := startSupervisor(t, s)
		time.Sleep(50 * time.Millisecond)
		cancel()
		if n := stub.Count("podman stats"); n != 0 {
			t.Errorf("%s: %d podman stats calls", tc.name, n)
		}
	}
}

// syncBuffer is a log the supervisor's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestSupervisorStatsFailureSaidOnce: rootless podman without cgroup v2
// fails every podman stats; the supervisor's log says so once, not every
// interval (issue 11: "stats is not supported in rootless mode without
// cgroups v2" every 10 s).
func TestSupervisorStatsFailureSaidOnce(t *testing.T) {
	s, stub, _ := statsFixture(t, time.Millisecond)
	stub.Replies = append([]podman.Reply{{Prefix: []string{"podman", "stats"}, Code: 125,
		Stderr: "Error: stats is not supported in rootless mode without cgroups v2\n"}}, stub.Replies...)
	var log syncBuffer
	s.Log = &log
	cancel := startSupervisor(t, s)
	defer cancel()
	deadline := time.Now().Add(5 * time.Second)
	for stub.Count("podman stats") < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d podman stats calls", stub.Count("podman stats"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if n := strings.Count(log.String(), "stats is not supported"); n != 1 {
		t.Errorf("the stats failure is said %d times in %d samples:\n%s", n, stub.Count("podman stats"), log.String())
	}
}
