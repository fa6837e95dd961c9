//go:build e2e

// End-to-end tests of the supervisor's life: the starts `up -d` made in its
// metrics, a supervisor that was SIGKILLed, and a foreground `up` next to a
// detached one.
package e2e

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The starts `up -d` timed are in the supervisor's start-duration metric
// before anything was restarted.
func TestSupervisorMetricsHaveInitialStarts(t *testing.T) {
	s := newStack(t, obsWeb)
	addr := freePort(t)
	s.must("up", "-d", "--metrics-addr", addr)
	var text string
	eventually(t, 10*time.Second, "web's start in the metrics", func() bool {
		text = scrape(t, addr)
		return metricValue(text, "berth_service_start_duration_seconds_count", `service="web"`) == 1
	})
	if v := metricValue(text, "berth_service_start_duration_seconds_sum", `service="web"`); v <= 0 || v > 30 {
		t.Errorf("start duration sum %v s", v)
	}
	if v := metricValue(text, "berth_service_restarts_total", `service="web"`); v != 0 {
		t.Errorf("restarts %v, want 0", v)
	}
	// A second up with nothing changed starts nothing: still one start.
	s.must("up", "-d", "--metrics-addr", addr)
	if v := metricValue(scrape(t, addr), "berth_service_start_duration_seconds_count", `service="web"`); v != 1 {
		t.Errorf("start count after an unchanged up: %v, want 1", v)
	}
	s.must("down")
}

// stateDir is where berth keeps the project's run-time state: /run/berth
// as root, $XDG_RUNTIME_DIR/berth for a non-root user (run.StateDir).
func (s *stStack) stateDir() string {
	if rt := os.Getenv("XDG_RUNTIME_DIR"); os.Getuid() != 0 && rt != "" {
		return rt + "/berth/" + s.project
	}
	return "/run/berth/" + s.project
}

// supervisorPID is the PID the project's supervisor recorded (0: none).
func (s *stStack) supervisorPID() int {
	b, _ := os.ReadFile(s.stateDir() + "/supervisor.pid")
	pid, _ := strconv.Atoi(strings.Fields(string(b) + " 0")[0])
	return pid
}

func containerID(t *testing.T, name string) string {
	return podmanOut(t, "inspect", "--format", "{{.Id}}", name)
}

// A SIGKILLed supervisor is reported by ps and up -d; up -d starts a new one
// that adopts the running container (same ID) and restarts it when killed.
func TestSupervisorKilledIsReplaced(t *testing.T) {
	s := newStack(t, obsWeb)
	s.must("up", "-d", "--metrics-addr", "off")
	old := s.supervisorPID()
	if old == 0 || syscall.Kill(old, 0) != nil {
		t.Fatalf("no live supervisor recorded: %d", old)
	}
	id := containerID(t, s.project+"-web")
	if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the supervisor gone", func() bool { return syscall.Kill(old, 0) != nil })

	out := s.must("ps")
	want := "the supervisor (pid " + strconv.Itoa(old) + ") of " + s.project + " is gone"
	if !strings.Contains(out, want) || !strings.Contains(out, "berth up -d") {
		t.Errorf("ps does not report the dead supervisor (%q):\n%s", want, out)
	}
	if !strings.Contains(out, "active") {
		t.Errorf("ps lost the running container:\n%s", out)
	}
	out = s.must("up", "-d", "--metrics-addr", "off")
	if !strings.Contains(out, want) || !strings.Contains(out, "starting a new supervisor") || !strings.Contains(out, "unchanged") {
		t.Errorf("up -d output:\n%s", out)
	}
	if got := containerID(t, s.project+"-web"); got != id {
		t.Errorf("web recreated (%s -> %s), not adopted", id, got)
	}
	pid := s.supervisorPID()
	if pid == 0 || pid == old || syscall.Kill(pid, 0) != nil {
		t.Fatalf("no new supervisor: %d (old %d)", pid, old)
	}
	if out := s.must("ps"); strings.Contains(out, "is gone") {
		t.Errorf("ps still reports a dead supervisor:\n%s", out)
	}
	podmanOut(t, "kill", s.project+"-web")
	eventually(t, 15*time.Second, "web restarted by the new supervisor", func() bool {
		v, err := exec.Command("podman", "inspect", "--format", "{{.Id}} {{.State.Running}}", s.project+"-web").Output()
		return err == nil && !strings.HasPrefix(string(v), id) && strings.HasSuffix(strings.TrimSpace(string(v)), "true")
	})
	s.must("down")
}

// startForeground starts `berth up` in the foreground.
func (s *stStack) startForeground() (*exec.Cmd, *syncBuffer) {
	cmd := exec.Command(s.berth, "-C", s.dir, "up")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	return cmd, out
}

func waitExit(t *testing.T, cmd *exec.Cmd, out *syncBuffer) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("berth up exited with %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("berth up did not exit after SIGTERM\n%s", out.String())
	}
}

// A foreground up while `up -d`'s supervisor runs hands the stack to it and
// streams logs; Ctrl-C (here SIGTERM) leaves the stack running.
func TestForegroundUpHandsOffToSupervisor(t *testing.T) {
	s := newStack(t, obsWeb)
	s.must("up", "-d", "--metrics-addr", "off")
	sup := s.supervisorPID()
	id := containerID(t, s.project+"-web")
	cmd, out := s.startForeground()
	want := "is supervised by the supervisor (pid " + strconv.Itoa(sup) + ")"
	eventually(t, 30*time.Second, "the hand-off message", func() bool { return strings.Contains(out.String(), want) })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, out)
	if !strings.Contains(out.String(), "stays up under the supervisor") {
		t.Errorf("foreground output:\n%s", out.String())
	}
	if got := containerID(t, s.project+"-web"); got != id {
		t.Errorf("web recreated by the foreground up")
	}
	if c := s.containers(); len(c) != 1 || !strings.HasSuffix(c[0], " running") {
		t.Errorf("containers after the foreground up ended: %q", c)
	}
	if s.supervisorPID() != sup || syscall.Kill(sup, 0) != nil {
		t.Errorf("the supervisor did not survive")
	}
	s.must("down")
}

// up -d (or a second up) while a foreground up runs is refused, naming it;
// nothing changes, and the foreground up still stops the stack at the end.
func TestUpRefusedWhileForegroundRuns(t *testing.T) {
	s := newStack(t, obsWeb)
	cmd, out := s.startForeground()
	eventually(t, 30*time.Second, "web ready", func() bool { return strings.Contains(out.String(), "web            ready (") })
	id := containerID(t, s.project+"-web")
	for _, args := range [][]string{{"up", "-d"}, {"up"}} {
		got, err := s.berthCmd(args...)
		want := "berth up in the foreground (pid " + strconv.Itoa(cmd.Process.Pid) + ") already runs " + s.project
		if err == nil || !strings.Contains(got, want) || !strings.Contains(got, "Ctrl-C") {
			t.Errorf("berth %s while a foreground up runs: %v\n%s", strings.Join(args, " "), err, got)
		}
	}
	if got := containerID(t, s.project+"-web"); got != id {
		t.Errorf("web recreated")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, out)
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers left after the foreground up ended: %q", c)
	}
}
