//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// hangLimit only detects a hang (a command that ignores the signal or
// blocks on a pipe); it is not a speed target.
const hangLimit = 90 * time.Second

// runLimited runs berth with args in the stack's folder; a run that does
// not end within hangLimit fails the test.
func (s *stStack) runLimited(signalAfter time.Duration, sig syscall.Signal, args ...string) (string, int) {
	s.t.Helper()
	cmd := exec.Command(s.berth, append([]string{"-C", s.dir}, args...)...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if signalAfter > 0 {
		select {
		case err := <-done:
			s.t.Fatalf("berth %v ended before the signal: %v\n%s", args, err, out)
		case <-time.After(signalAfter):
			_ = cmd.Process.Signal(sig)
		}
	}
	select {
	case err := <-done:
		var ee *exec.ExitError
		switch {
		case err == nil:
			return out.String(), 0
		case errors.As(err, &ee):
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return out.String(), 128 + int(ws.Signal())
			}
			return out.String(), ee.ExitCode()
		}
		s.t.Fatal(err)
	case <-time.After(hangLimit):
		_ = cmd.Process.Kill()
		<-done
		s.t.Fatalf("berth %v still running %s later\n%s", args, hangLimit, out)
	}
	return "", -1
}

// A FIFO and a folder named like units: up -d and up --dry-run report both
// at file:line, start nothing and end (they used to block on the pipe and
// ignore SIGTERM).
func TestSpecialFilesUp(t *testing.T) {
	s := newStack(t, obsWeb)
	if err := syscall.Mkfifo(filepath.Join(s.dir, "a.container"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.dir, "c.volume"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"up", "--dry-run"}, {"up", "-d"}} {
		out, code := s.runLimited(0, 0, args...)
		if code != 1 {
			t.Errorf("%v: exit %d, want 1\n%s", args, code, out)
		}
		for _, want := range []string{"a.container:1:1: error: is a named pipe (FIFO), not a unit file", "c.volume:1:1: error: is a folder, not a unit file"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: output lacks %q\n%s", args, want, out)
			}
		}
	}
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers started despite the errors: %v", c)
	}
}

// SIGTERM or SIGINT while up -d waits for a slow health-gated start ends
// berth, which stops what it started.
func TestSignalDuringUp(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		s := newStack(t, map[string]string{"web.container": `[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-web
Environment=READY_AFTER=30
HealthCmd=["/web","-check","http://127.0.0.1:8080/healthz"]
HealthInterval=1s
HealthStartPeriod=120s
HealthRetries=100
Notify=healthy
`})
		out, code := s.runLimited(3*time.Second, sig, "up", "-d")
		if code == 0 {
			t.Errorf("%v: up -d exited 0 after the signal\n%s", sig, out)
		}
		if !strings.Contains(out, "interrupted") {
			t.Errorf("%v: no word of the interruption\n%s", sig, out)
		}
		for _, c := range s.containers() {
			if strings.HasSuffix(c, " running") {
				t.Errorf("%v: still running after the interrupted up: %s", sig, c)
			}
		}
	}
}
