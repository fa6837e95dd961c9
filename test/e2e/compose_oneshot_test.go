//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// One-shot services (issue 18, item 1): a job that exits 0 is a success,
// its output stays readable until down, and a foreground up returns once
// every container has exited.
const composeJobsYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
  hello:
    image: localhost/berth-test/client:latest
    command: ["-resolve", "localhost"]
  late:
    image: localhost/berth-test/client:latest
    command: ["-wait", "http://web:8080/healthz", "-timeout", "60s"]
`

func TestComposeOneShotJobs(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeJobsYAML})
	out := s.must("up", "-d")
	if progressLine(out, "hello", "exited") < 0 {
		t.Errorf("up -d does not report hello as exited:\n%s", out)
	}
	// hello exited within the settle time, late a moment after: both are
	// kept with their output.
	eventually(t, 70*time.Second, "late exited", func() bool {
		return strings.Contains(strings.Join(s.containers(), "\n"), s.project+"-late-1 exited")
	})
	if logs := s.must("logs", "hello"); !strings.Contains(logs, "hello | 127.0.0.1") {
		t.Errorf("logs hello after it exited:\n%s", logs)
	}
	if logs := s.must("logs", "late"); !strings.Contains(logs, "late | ok") {
		t.Errorf("logs late after it exited:\n%s", logs)
	}
	ps := squash(s.must("ps"))
	for _, want := range []string{"hello container exited", "late container exited", "web container active"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps lacks %q:\n%s", want, ps)
		}
	}
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers left after down: %q", c)
	}
}

// Only jobs: the foreground up prints their output and returns 0 once both
// have exited, whatever their codes (docker compose's attached up); the
// containers stay for logs.
const composeOnlyJobsYAML = `
name: {P}
services:
  hello:
    image: localhost/berth-test/client:latest
    command: ["-resolve", "localhost"]
  slowfail:
    image: localhost/berth-test/client:latest
    command: ["-wait", "http://127.0.0.1:1/", "-timeout", "2s"]
`

func TestComposeForegroundUpReturns(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeOnlyJobsYAML})
	t0 := time.Now()
	out, err := s.berthCmdTimeout(60*time.Second, "up")
	if err != nil {
		t.Fatalf("foreground up: %v\n%s", err, out)
	}
	t.Logf("foreground up returned after %s:\n%s", time.Since(t0).Round(time.Millisecond), out)
	for _, want := range []string{"hello | 127.0.0.1", "slowfail exited with code 1", "hello exited with code 0"} {
		if !strings.Contains(squash(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if logs := s.must("logs", "slowfail"); !strings.Contains(logs, "client:") {
		t.Errorf("logs slowfail after the foreground up:\n%s", logs)
	}

	// --exit-code-from passes the job's status through.
	out, err = s.berthCmdTimeout(60*time.Second, "up", "--exit-code-from", "slowfail", "slowfail")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("up --exit-code-from slowfail: %v, want exit status 1\n%s", err, out)
	}
	if _, err := s.berthCmd("up", "-d", "--abort-on-container-exit"); err == nil {
		t.Errorf("up -d --abort-on-container-exit was accepted")
	}
}

const composeAbortYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
  job:
    image: localhost/berth-test/client:latest
    command: ["-wait", "http://web:8080/healthz", "-timeout", "60s"]
`

func TestComposeAbortOnContainerExit(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeAbortYAML})
	out, err := s.berthCmdTimeout(60*time.Second, "up", "--abort-on-container-exit")
	if err != nil {
		t.Fatalf("up --abort-on-container-exit: %v\n%s", err, out)
	}
	if !strings.Contains(out, "aborting on container exit") {
		t.Errorf("output:\n%s", out)
	}
	for _, c := range s.containers() {
		if strings.HasSuffix(c, " running") {
			t.Errorf("still running after the abort: %s", c)
		}
	}
}

// An unhealthy dependency (item 2) fails its dependant at once, in docker
// compose's words, not after the 90 s start timeout.
const composeUnhealthyYAML = `
name: {P}
services:
  db:
    image: localhost/berth-test/web:latest
    healthcheck:
      test: ["CMD", "/web", "-check", "http://127.0.0.1:9/never"]
      interval: 1s
      retries: 2
  app:
    image: localhost/berth-test/client:latest
    depends_on:
      db:
        condition: service_healthy
`

func TestComposeUnhealthyDependency(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeUnhealthyYAML})
	t0 := time.Now()
	out, err := s.berthCmdTimeout(60*time.Second, "up", "-d")
	took := time.Since(t0)
	if err == nil {
		t.Fatalf("up -d succeeded:\n%s", out)
	}
	t.Logf("up -d failed after %s:\n%s", took.Round(time.Millisecond), out)
	if want := "dependency failed to start: container " + s.project + "-db-1 is unhealthy"; !strings.Contains(out, want) {
		t.Errorf("output lacks %q", want)
	}
	if took > 30*time.Second {
		t.Errorf("up took %s: the unhealthy dependency was not noticed at once", took)
	}
}

// squash turns runs of blanks into one space (tables, aligned prefixes).
func squash(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// berthCmdTimeout runs berth and kills it after d (a foreground up that
// never returns fails the test instead of hanging it).
func (s *stStack) berthCmdTimeout(d time.Duration, args ...string) (string, error) {
	type res struct {
		out string
		err error
	}
	ch := make(chan res, 1)
	cmd := exec.Command(s.berth, append([]string{"-C", s.dir}, args...)...)
	var b bytes.Buffer // one writer for both: os/exec then copies them in one goroutine
	cmd.Stdout, cmd.Stderr = &b, &b
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { err := cmd.Wait(); ch <- res{b.String(), err} }()
	select {
	case r := <-ch:
		return r.out, r.err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		r := <-ch
		s.t.Errorf("berth %s did not return within %s", strings.Join(args, " "), d)
		return r.out, r.err
	}
}
