//go:build e2e

// Interrupted ups keep their guarantees (issue 11, item 2 and the
// crash-consistency test): an up killed with SIGKILL at any moment, then
// up -d again, never starts a dependant before its health-gated
// dependency is healthy, leaves one container per service and one
// supervisor.
package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// isoGated: a is healthy READY seconds after it starts (checked every
// second; failures in the first 30 s do not count towards HealthRetries=,
// so that a slow start is not unhealthy); b requires it.
func isoGated(ready string) map[string]string {
	return map[string]string{
		"a.container": "[Container]\nImage=localhost/berth-test/web:latest\nEnvironment=READY_AFTER=" + ready + "\n" +
			"HealthCmd=[\"/web\",\"-check\",\"http://127.0.0.1:8080/healthz\"]\nHealthInterval=1s\nHealthStartPeriod=30s\nNotify=healthy\n" +
			"[Service]\nRestart=always\nRestartSec=1\n",
		"b.container": "[Unit]\nRequires=a.service\nAfter=a.service\n[Container]\nImage=localhost/berth-test/web:latest\n" +
			"[Service]\nRestart=always\nRestartSec=1\n",
	}
}

// killedUp starts `up -d` and SIGKILLs it after d.
func (s *stStack) killedUp(t *testing.T, d time.Duration) string {
	t.Helper()
	cmd := exec.Command(s.berth, "-C", s.dir, "up", "-d", "--metrics-addr", "off")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(d)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	return out.String()
}

// checkGate fails when b started before a could be healthy (ready seconds
// after a's start), or when a service has other than one container.
func (s *stStack) checkGate(t *testing.T, ready time.Duration, what string) {
	t.Helper()
	rows := s.containers()
	if len(rows) != 2 {
		t.Fatalf("%s: containers %q, want one a and one b", what, rows)
	}
	for _, r := range rows {
		if !strings.HasSuffix(r, " running") {
			t.Fatalf("%s: %q is not running", what, r)
		}
	}
	a, b := startedAt(t, s.project+"-a"), startedAt(t, s.project+"-b")
	if gap := b.Sub(a); gap < ready {
		t.Fatalf("%s: b started %s after a, but a is healthy only %s after its start: the health gate was skipped",
			what, gap.Round(time.Millisecond), ready)
	}
	if pids := s.supervisors(); len(pids) != 1 {
		t.Fatalf("%s: supervisors %v, want one", what, pids)
	}
}

// The case: up -d killed after 2 s, while a (healthy after 8 s)
// starts; the next up -d waits for a's health before it starts b.
func TestIsolateKilledUpKeepsHealthGate(t *testing.T) {
	s := isoStack(t, "", isoGated("8"))
	first := s.killedUp(t, 2*time.Second)
	out := s.must("up", "-d", "--metrics-addr", "off")
	t.Logf("killed up:\n%s\nnext up:\n%s", first, out)
	s.checkGate(t, 8*time.Second-300*time.Millisecond, "after a kill at 2s")
}

// Crash consistency: kill -9 up -d at several moments, then up -d.
func TestIsolateCrashConsistency(t *testing.T) {
	s := isoStack(t, "", isoGated("4"))
	for _, at := range []time.Duration{200 * time.Millisecond, 700 * time.Millisecond, 1500 * time.Millisecond,
		2500 * time.Millisecond, 4 * time.Second} {
		what := fmt.Sprintf("kill at %s", at)
		first := s.killedUp(t, at)
		out, err := s.berthCmd("up", "-d", "--metrics-addr", "off")
		if err != nil {
			t.Fatalf("%s: up -d: %v\nkilled up:\n%s\nup:\n%s", what, err, first, out)
		}
		s.checkGate(t, 4*time.Second-300*time.Millisecond, what)
		// A second up changes nothing and starts no second supervisor.
		out = s.must("up", "-d", "--metrics-addr", "off")
		if strings.Contains(out, "starting") {
			t.Errorf("%s: a third up started something:\n%s", what, out)
		}
		s.checkGate(t, 4*time.Second-300*time.Millisecond, what+", up again")
		s.must("down")
		time.Sleep(200 * time.Millisecond)
		if pids := s.supervisors(); len(pids) != 0 || len(s.containers()) != 0 {
			t.Fatalf("%s: after down: supervisors %v, containers %q", what, pids, s.containers())
		}
	}
}
