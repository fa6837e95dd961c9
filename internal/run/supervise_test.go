package run

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/podman"
)

// fakeClock advances virtual time by every wait, returning almost at once.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return time.After(2 * time.Millisecond)
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// supervisorFixture: web (Restart= as given) recorded as started, whose
// container is gone; every restart's container dies at once too.
func supervisorFixture(t *testing.T, restart string) (*Supervisor, *podman.Stub) {
	files := map[string]string{"web.container": "[Unit]\nStartLimitIntervalSec=10s\nStartLimitBurst=2\n[Container]\nImage=localhost/web\n[Service]\nRestart=" + restart + "\nRestartSec=1\n"}
	st := testStack(t, files)
	u := st.Unit("web")
	dead := deadPID(t)
	stub := &podman.Stub{}
	stub.Replies = append(stub.Replies,
		podman.Reply{Prefix: []string{"podman", "container", "inspect"}, Stdout: fmt.Sprintf(`[{"Id":"abc","Name":"systemd-web","State":{"Status":"running","Running":true,"ConmonPid":%d},"Config":{"Labels":{"io.berth.project":"proj"}}}]`, dead)},
		podman.Reply{Prefix: []string{"podman", "events"}, Stdout: "137\n"},
		podman.Reply{Prefix: []string{"/usr/bin/podman", "run"}, Do: func(ctx context.Context, c podman.Cmd) int {
			for _, kv := range c.Env {
				if path, ok := strings.CutPrefix(kv, "NOTIFY_SOCKET="); ok {
					if conn, err := net.Dial("unixgram", path); err == nil {
						_, _ = fmt.Fprintf(conn, "MAINPID=%d\nREADY=1", dead)
						conn.Close()
					}
				}
			}
			return 0
		}})
	e := testExecutor(t, stub)
	clock := &fakeClock{now: time.Unix(1_000_000, 0)}
	e.Clock = clock
	store := Store{Dir: t.TempDir()}
	p := &Project{Stack: st, Exec: e, Podman: &podman.Client{Runner: stub}, Store: store}
	state := &State{Project: "proj", Units: map[string]*UnitState{u.Name: {Service: u.Service, Source: u.Source,
		Resource: u.Resource, Hash: u.Hash, Text: u.Text, Wanted: true, Active: true}}}
	if err := store.Save(state); err != nil {
		t.Fatal(err)
	}
	return &Supervisor{P: p, Clock: clock, Tick: time.Millisecond}, stub
}

func waitStatus(t *testing.T, s *Supervisor, want string) ServiceStatus {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := s.Status()
		if len(st) == 1 && st[0].State == want {
			return st[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("state %+v, want %q", st, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestSupervisorRestartsUntilStartLimit(t *testing.T) {
	s, stub := supervisorFixture(t, "always")
	defer startSupervisor(t, s)()
	st := waitStatus(t, s, "failed (start-limit-hit)")
	if st.Restarts != 2 || stub.Count("/usr/bin/podman run") != 2 || st.LastExit == nil || *st.LastExit != 137 {
		t.Errorf("restarts %d, runs %d, last exit %v; want 2, 2, 137", st.Restarts, stub.Count("/usr/bin/podman run"), exitString(st.LastExit))
	}
	if !strings.Contains(strings.Join(stub.Commands(), "\n"), "/usr/bin/podman rm -v -f -i systemd-web") {
		t.Errorf("ExecStop not run after the exit:\n%s", strings.Join(stub.Commands(), "\n"))
	}
}

func TestSupervisorRestartPolicyNo(t *testing.T) {
	for _, policy := range []string{"no", "on-success", "on-watchdog"} {
		s, stub := supervisorFixture(t, policy)
		cancel := startSupervisor(t, s)
		waitStatus(t, s, "exited")
		time.Sleep(20 * time.Millisecond) // several ticks: the exit is handled once
		cancel()
		if n := stub.Count("/usr/bin/podman run"); n != 0 {
			t.Errorf("Restart=%s after exit 137: %d restarts", policy, n)
		}
		if n := strings.Count(strings.Join(stub.Commands(), "\n"), "podman events"); n != 1 {
			t.Errorf("Restart=%s: exit handled %d times", policy, n)
		}
	}
}

func TestSupervisorLeavesStoppedUnits(t *testing.T) {
	s, stub := supervisorFixture(t, "always")
	if err := s.P.Store.Update(func(st *State) error {
		for _, us := range st.Units {
			us.Wanted = false
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	_ = s.Reload(ctx)
	defer runInBackground(ctx, cancel, s)()
	time.Sleep(30 * time.Millisecond)
	if len(s.Status()) != 0 || stub.Count("/usr/bin/podman run") != 0 {
		t.Errorf("an unwanted unit is watched or restarted: %+v", s.Status())
	}
}

// startSupervisor loads s's units and runs it in the background until the
// returned stop is called; stop returns once Run has (so nothing writes to
// the test's temporary folders while they are removed; a loaded run saw
// "directory not empty" there). Calling stop again is harmless.
func startSupervisor(t *testing.T, s *Supervisor) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Reload(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	return runInBackground(ctx, cancel, s)
}

// runInBackground runs s until the returned stop is called, and stop waits
// for it.
func runInBackground(ctx context.Context, cancel context.CancelFunc, s *Supervisor) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
