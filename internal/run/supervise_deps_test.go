package run

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/observe"
	"github.com/berth-dev/berth/internal/podman"
)

// fakePodman keeps which containers run, so that inspect answers what
// run and rm did: db's first container has died (its conmon PID is dead),
// every container started since lives (a sleeping process's PID).
type fakePodman struct {
	mu      sync.Mutex
	running map[string]int // container -> conmon PID
	events  []string       // "run systemd-web", "rm systemd-db"
}

// log is the runs and removals, a repeated one once (ExecStop and
// ExecStopPost both remove).
func (f *fakePodman) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Compact(slices.Clone(f.events))
}

func (f *fakePodman) stub(live int) *podman.Stub {
	s := &podman.Stub{}
	s.Replies = append(s.Replies,
		podman.Reply{Prefix: []string{"podman", "container", "inspect"}, Do: func(_ context.Context, c podman.Cmd) int {
			f.mu.Lock()
			defer f.mu.Unlock()
			var objs []string
			for _, name := range c.Argv[5:] {
				if pid, ok := f.running[name]; ok {
					objs = append(objs, fmt.Sprintf(`{"Id":"id-%s","Name":%q,"State":{"Status":"running","Running":true,"ConmonPid":%d},"Config":{"Labels":{"io.berth.project":"proj"}}}`, name, name, pid))
				}
			}
			fmt.Fprintf(c.Stdout, "[%s]", strings.Join(objs, ","))
			return 0
		}},
		podman.Reply{Prefix: []string{"podman", "events"}, Stdout: "137\n"},
		podman.Reply{Prefix: []string{"/usr/bin/podman", "rm"}, Do: func(_ context.Context, c podman.Cmd) int {
			name := c.Argv[len(c.Argv)-1]
			f.mu.Lock()
			delete(f.running, name)
			f.events = append(f.events, "rm "+name)
			f.mu.Unlock()
			return 0
		}},
		podman.Reply{Prefix: []string{"/usr/bin/podman", "run"}, Do: func(_ context.Context, c podman.Cmd) int {
			name := c.Argv[indexOf(c.Argv, "--name")+1]
			f.mu.Lock()
			f.running[name] = live
			f.events = append(f.events, "run "+name)
			f.mu.Unlock()
			for _, kv := range c.Env {
				if path, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
					if conn, err := net.Dial("unixgram", path); err == nil {
						_, _ = fmt.Fprintf(conn, "MAINPID=%d\nREADY=1", live)
						conn.Close()
					}
				}
			}
			return 0
		}})
	return s
}

// livePID is a process that runs until the test ends.
func livePID(t *testing.T) int {
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

// depsFixture supervises db (Restart=dbRestart), whose container has died,
// and web, running, with webDeps in its [Unit] section.
func depsFixture(t *testing.T, dbRestart, webDeps string) (*Supervisor, *fakePodman) {
	files := map[string]string{
		"db.container":  "[Container]\nImage=localhost/db\n[Service]\nRestart=" + dbRestart + "\nRestartSec=2\n",
		"web.container": "[Unit]\n" + webDeps + "\nAfter=db.service\n[Container]\nImage=localhost/web\n[Service]\nRestart=no\n",
	}
	st := testStack(t, files)
	live := livePID(t)
	fp := &fakePodman{running: map[string]int{"systemd-db": deadPID(t), "systemd-web": live}}
	stub := fp.stub(live)
	e := testExecutor(t, stub)
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	e.Clock = clock
	store := Store{Dir: t.TempDir()}
	p := &Project{Stack: st, Exec: e, Podman: &podman.Client{Runner: stub}, Store: store}
	state := &State{Project: "proj", Units: map[string]*UnitState{}}
	for _, u := range st.Units {
		state.Units[u.Name] = &UnitState{Service: u.Service, Source: u.Source, Resource: u.Resource, Hash: u.Hash,
			Text: u.Text, Wanted: true, Active: true}
	}
	if err := store.Save(state); err != nil {
		t.Fatal(err)
	}
	return &Supervisor{P: p, Clock: clock, Tick: time.Millisecond, Metrics: observe.NewMetrics("proj")}, fp
}

// runUntil supervises until every service is in the wanted "state/restarts".
func runUntil(t *testing.T, s *Supervisor, want map[string]string) {
	t.Helper()
	defer startSupervisor(t, s)()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]ServiceStatus{}
		ok := true
		for _, st := range s.Status() {
			got[st.Service] = st
			ok = ok && fmt.Sprintf("%s/%d", st.State, st.Restarts) == want[st.Service]
		}
		if ok && len(got) == len(want) {
			time.Sleep(20 * time.Millisecond) // several more ticks: nothing else happens
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("states %+v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSupervisorBindsToRestartsDependant(t *testing.T) {
	s, fp := depsFixture(t, "always", "BindsTo=db.service")
	runUntil(t, s, map[string]string{"db": "running/1", "web": "running/1"})
	want := []string{"rm systemd-db", "rm systemd-web", "run systemd-db", "run systemd-web"}
	if ev := fp.log(); !slices.Equal(ev, want) {
		t.Errorf("podman calls %q, want %q (web stopped before db's RestartSec, started after db)", ev, want)
	}
}

func TestSupervisorBindsToStopsDependantForGood(t *testing.T) {
	s, fp := depsFixture(t, "no", "BindsTo=db.service")
	runUntil(t, s, map[string]string{"db": "exited/0", "web": "stopped (db.service exited)/0"})
	// db ended for good: its container is kept (with its log) until db is
	// stopped; web, bound to it, is stopped.
	if ev := fp.log(); !slices.Equal(ev, []string{"rm systemd-web"}) {
		t.Errorf("podman calls %q", ev)
	}
	if names := s.Metrics.StateNames("web"); !slices.Contains(names, "stopped") {
		t.Errorf("web's metric states %q lack stopped", names)
	}
	st, _ := s.P.Store.Load()
	if us := st.Units["web.service"]; us.Active || !us.Wanted {
		t.Errorf("web in the state file: active %v wanted %v; want inactive and still wanted (up starts it)", us.Active, us.Wanted)
	}
}

// PartOf= follows restarts only: a unit exiting for good leaves it running.
func TestSupervisorPartOf(t *testing.T) {
	s, fp := depsFixture(t, "always", "PartOf=db.service")
	runUntil(t, s, map[string]string{"db": "running/1", "web": "running/1"})
	if ev := fp.log(); !slices.Equal(ev, []string{"rm systemd-db", "rm systemd-web", "run systemd-db", "run systemd-web"}) {
		t.Errorf("restart: podman calls %q", ev)
	}

	s, fp = depsFixture(t, "no", "PartOf=db.service")
	runUntil(t, s, map[string]string{"db": "exited/0", "web": "running/0"})
	if ev := fp.log(); len(ev) != 0 { // db's ended container is kept
		t.Errorf("exit: podman calls %q", ev)
	}
}

// Upholds= restarts a unit whose own Restart=no would leave it down; the
// start limit still applies.
func TestSupervisorUpholds(t *testing.T) {
	s, fp := depsFixture(t, "no", "Upholds=db.service")
	runUntil(t, s, map[string]string{"db": "running/1", "web": "running/0"})
	if ev := fp.log(); !slices.Equal(ev, []string{"rm systemd-db", "run systemd-db"}) {
		t.Errorf("podman calls %q", ev)
	}
}
