//go:build e2e

package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The verbs compose users reach for (issue 18): the compose file as a
// global flag, run, config, port, ls, kill.
const composeVerbsYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
    ports: ["127.0.0.1::8080"]
    restart: always
  kv:
    image: localhost/berth-test/kv:latest
  client:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on: [web, kv]
`

func TestComposeVerbs(t *testing.T) {
	s := newCompose(t, map[string]string{"stack.yaml": composeVerbsYAML}, "-f", "stack.yaml")
	// -f before the verb is the file, as docker compose reads it.
	s.must("-f", "stack.yaml", "up", "-d")
	if out := s.must("-f", "stack.yaml", "logs", "web"); strings.Contains(out, "error") {
		t.Errorf("logs: %s", out)
	}

	out := strings.TrimSpace(s.must("-f", "stack.yaml", "port", "web", "8080"))
	if !regexp.MustCompile(`^127\.0\.0\.1:[0-9]+$`).MatchString(out) {
		t.Errorf("port web 8080: %q", out)
	}

	out = s.must("-f", "stack.yaml", "config", "--services")
	if out != "client\nkv\nweb\n" {
		t.Errorf("config --services: %q", out)
	}
	if out := s.must("-f", "stack.yaml", "config"); !strings.Contains(out, "name: "+s.project) {
		t.Errorf("config:\n%s", out)
	}

	// run: a one-off container with the service's network, its output and
	// its exit status; --rm leaves nothing behind.
	out = s.must("-f", "stack.yaml", "run", "--rm", "client", "-get", "http://web:8080/healthz")
	if !strings.Contains(out, "ok") {
		t.Errorf("run client -get web: %q", out)
	}
	_, err := s.berthCmd("-f", "stack.yaml", "run", "--rm", "--no-deps", "client", "-get", "http://127.0.0.1:1/")
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("run of a failing command: %v, want exit status 1", err)
	}
	out = s.must("-f", "stack.yaml", "run", "--rm", "--entrypoint", "/client", "client", "-resolve", "kv")
	if !regexp.MustCompile(`[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+`).MatchString(out) {
		t.Errorf("run --entrypoint: %q", out)
	}
	for _, c := range s.containers() {
		if strings.Contains(c, "-run-") {
			t.Errorf("run --rm left %s", c)
		}
	}
	if out := s.must("-f", "stack.yaml", "ps"); strings.Contains(out, "changed") {
		t.Errorf("ps after run:\n%s", out)
	}

	if out := s.must("ls"); !regexp.MustCompile(s.project + `\s+running\(3\)`).MatchString(out) {
		t.Errorf("ls:\n%s", out)
	}

	// kill: SIGKILL; restart: always brings web back.
	old := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-web-1"))
	s.must("-f", "stack.yaml", "kill", "web")
	eventually(t, 20*time.Second, "web restarted after kill", func() bool {
		id, err := exec.Command("podman", "inspect", "--format", "{{.Id}} {{.State.Running}}", s.project+"-web-1").Output()
		return err == nil && !strings.HasPrefix(string(id), old) && strings.HasSuffix(strings.TrimSpace(string(id)), "true")
	})
}

// run works for a quadlet stack too.
func TestQuadletRun(t *testing.T) {
	s := newStack(t, map[string]string{
		"client.container": "[Container]\nImage=localhost/berth-test/client:latest\nExec=-sleep\n",
	})
	out := s.must("run", "--rm", "client", "-resolve", "localhost")
	if !strings.Contains(out, "127.0.0.1") {
		t.Errorf("run on a quadlet stack: %q", out)
	}
}

// up --wait returns once every service is healthy (or running, or done);
// --force-recreate recreates unchanged containers; --no-deps starts only
// the service named.
const composeWaitYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
    environment:
      READY_AFTER: "2"
    healthcheck:
      test: ["CMD", "/web", "-check", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 30
  kv:
    image: localhost/berth-test/kv:latest
  client:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on: [kv]
`

func TestComposeUpWaitRecreateNoDeps(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeWaitYAML})
	out := s.must("up", "--no-deps", "client", "-d")
	if got := strings.Join(s.containers(), "\n"); got != s.project+"-client-1 running" {
		t.Errorf("up --no-deps client: containers %q\n%s", got, out)
	}
	out = s.must("up", "--wait")
	health := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.State.Health.Status}}", s.project+"-web-1"))
	if health != "healthy" {
		t.Errorf("after up --wait web is %q:\n%s", health, out)
	}
	old := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-kv-1"))
	s.must("up", "-d")
	if id := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-kv-1")); id != old {
		t.Errorf("up -d recreated an unchanged kv")
	}
	s.must("up", "-d", "--force-recreate", "kv")
	if id := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-kv-1")); id == old {
		t.Errorf("up --force-recreate kept kv's container")
	}
}

// scale: N containers project-svc-1..N behind one DNS name; up --scale
// changes the count, and the next up scales back to the file's.
const composeScaleYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
    scale: 2
  client:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on: [web]
`

func TestComposeScale(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeScaleYAML})
	s.must("up", "-d")
	running := func() int {
		n := 0
		for _, c := range s.containers() {
			if strings.HasPrefix(c, s.project+"-web-") && strings.HasSuffix(c, " running") {
				n++
			}
		}
		return n
	}
	if n := running(); n != 2 {
		t.Fatalf("scale: 2 runs %d web containers: %q", n, s.containers())
	}
	out, err := s.exec("-resolve", "web")
	if err != nil || len(strings.Fields(out)) != 2 {
		t.Errorf("web resolves to %q (%v), want the 2 replicas' addresses", out, err)
	}
	s.must("up", "-d", "--scale", "web=3")
	if n := running(); n != 3 {
		t.Errorf("--scale web=3 runs %d: %q", n, s.containers())
	}
	s.must("up", "-d")
	if n := running(); n != 2 {
		t.Errorf("up after --scale 3 runs %d: %q", n, s.containers())
	}
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after down: %q", c)
	}
}

// top, pause/unpause, cp, images, wait, ps --format, logs --no-log-prefix.
const composeMoreVerbsYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
  job:
    image: localhost/berth-test/client:latest
    command: ["-wait", "http://web:8080/healthz", "-timeout", "20s"]
`

func TestComposeMoreVerbs(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeMoreVerbsYAML})
	s.must("up", "-d")
	if out := s.must("wait", "job"); strings.TrimSpace(out) != "job 0" {
		t.Errorf("wait job: %q", out)
	}
	if out := s.must("logs", "--no-log-prefix", "job"); strings.TrimSpace(out) != "ok" {
		t.Errorf("logs --no-log-prefix job: %q", out)
	}
	if out := s.must("ps", "--format", "{{.Name}} {{.State}}"); !strings.Contains(out, s.project+"-web-1 active") {
		t.Errorf("ps --format: %q", out)
	}
	if out := s.must("top", "web"); !strings.Contains(out, "/web") {
		t.Errorf("top web:\n%s", out)
	}
	s.must("pause", "web")
	if st := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.State.Status}}", s.project+"-web-1")); st != "paused" {
		t.Errorf("after pause web is %s", st)
	}
	s.must("unpause", "web")
	if st := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.State.Status}}", s.project+"-web-1")); st != "running" {
		t.Errorf("after unpause web is %s", st)
	}
	s.must("cp", "web:/web", "webbin")
	if st, err := os.Stat(filepath.Join(s.dir, "webbin")); err != nil || st.Size() == 0 {
		t.Errorf("cp web:/web: %v", err)
	}
	if out := s.must("images"); !strings.Contains(out, "localhost/berth-test/web:latest") {
		t.Errorf("images:\n%s", out)
	}
}
