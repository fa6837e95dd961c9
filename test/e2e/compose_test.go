//go:build e2e

// End-to-end tests of compose projects run by berth's built-in executor
// (`berth up -f compose.yaml`, or a folder holding compose.yaml) on the real
// podman of this machine, with the images of scripts/build-test-images.sh.
// Every test has its own project name and removes everything it made.
package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// newCompose writes files (with {P} replaced by the project name) into a
// fresh folder named after the project, and registers a cleanup that takes
// everything down: berth down --volumes, then whatever podman still has of
// the project (containers, networks, volumes, secrets). fileFlags are the
// -f flags the project needs, for the cleanup's down.
func newCompose(t *testing.T, files map[string]string, fileFlags ...string) *stStack {
	berth := stBerth(t)
	p := fmt.Sprintf("c2e%d%04d", os.Getpid()%10000, rand.Intn(10000))
	s := &stStack{t: t, berth: berth, dir: filepath.Join(t.TempDir(), p), project: p}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		text = strings.ReplaceAll(text, "{P}", p)
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if out, err := s.berthCmd(append([]string{"down", "--volumes"}, fileFlags...)...); err != nil {
			t.Logf("cleanup: berth down --volumes: %v\n%s", err, out)
		}
		_ = exec.Command("sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.berth.project="+p+") 2>/dev/null; "+
			"podman network rm -f systemd-"+p+"-default "+p+"_default 2>/dev/null; "+
			"podman volume rm -f $(podman volume ls -q | grep -e '^systemd-"+p+"-' -e '^"+p+"_') 2>/dev/null; "+
			"podman secret rm $(podman secret ls --format '{{.Name}}' | grep '^"+p+"_') 2>/dev/null").Run()
	})
	return s
}

// A web server healthy only after 2 s, a kv store on a named volume, and a
// client that needs web healthy and kv started; all on the project's
// implicit default network.
const composeStackYAML = `
services:
  web:
    image: localhost/berth-test/web:latest
    environment:
      READY_AFTER: "2"
    healthcheck:
      test: ["CMD", "/web", "-check", "http://127.0.0.1:8080/healthz"]
      interval: 1s
      retries: 30
    restart: always
  kv:
    image: localhost/berth-test/kv:latest
    volumes:
      - data:/data
  client:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on:
      web:
        condition: service_healthy
      kv:
        condition: service_started
volumes:
  data: {}
`

func TestComposeHealthyOrderDNSVolume(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeStackYAML})
	// No -f: the folder holds compose.yaml and no quadlet files; the project
	// is named after the folder, as docker compose names it.
	t0 := time.Now()
	out := s.must("up", "-d")
	t.Logf("up -d took %s:\n%s", time.Since(t0), out)

	web, client := s.project+"-web-1", s.project+"-client-1"
	webStart, clientStart := startedAt(t, web), startedAt(t, client)
	if d := clientStart.Sub(webStart); d < 2*time.Second {
		t.Errorf("client started %s after web; web is only healthy after 2 s", d)
	}
	t.Logf("client started %s after web (web healthy after READY_AFTER=2s)", clientStart.Sub(webStart).Round(time.Millisecond))

	// Service names resolve on the project's default network.
	if out, err := s.exec("-put", "http://kv:8081/k/greeting", "hello"); err != nil {
		t.Fatalf("put to kv by service name: %v\n%s", err, out)
	}
	if out, err := s.exec("-get", "http://web:8080/healthz"); err != nil || strings.TrimSpace(out) != "ok" {
		t.Fatalf("web by service name: %q %v", out, err)
	}

	// ps names the services as the compose file does.
	var rows []struct{ Service, State string }
	if err := json.Unmarshal([]byte(s.must("ps", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, r := range rows {
		seen[r.Service] = r.State
	}
	for _, name := range []string{"web", "kv", "client"} {
		if seen[name] != "active" {
			t.Errorf("ps: service %s is %q; rows %+v", name, seen[name], rows)
		}
	}

	// The supervisor restarts compose-made units from their recorded text.
	old := podmanOut(t, "inspect", "--format", "{{.Id}}", web)
	podmanOut(t, "kill", web)
	took := eventually(t, 20*time.Second, "web (restart: always) back", func() bool {
		id, err := exec.Command("podman", "inspect", "--format", "{{.Id}} {{.State.Running}}", web).Output()
		return err == nil && !strings.HasPrefix(string(id), old) && strings.HasSuffix(strings.TrimSpace(string(id)), "true")
	})
	t.Logf("killed web back after %s", took)

	// down keeps the named volume; its data is there after the next up. The
	// network and volume carry compose's names (<project>_<name>): berth
	// compiles them itself, so NetworkName=/VolumeName= work on podman 4.3 too.
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Fatalf("containers left after down: %q", c)
	}
	if exec.Command("podman", "network", "exists", s.project+"_default").Run() == nil {
		t.Errorf("default network left after down")
	}
	if exec.Command("podman", "volume", "exists", s.project+"_data").Run() != nil {
		t.Fatalf("volume removed by down without --volumes")
	}
	s.must("up", "-d")
	if out, err := s.exec("-get", "http://kv:8081/k/greeting"); err != nil || strings.TrimSpace(out) != "hello" {
		t.Fatalf("value after down+up: %q %v", out, err)
	}
	s.must("down", "--volumes")
	if exec.Command("podman", "volume", "exists", s.project+"_data").Run() == nil {
		t.Errorf("volume left after down --volumes")
	}
}

// seed writes a value into kv and exits; app must start only after seed
// completed successfully.
const composeOneshotYAML = `
name: {P}
services:
  kv:
    image: localhost/berth-test/kv:latest
    healthcheck:
      test: ["CMD", "/kv", "-check", "http://127.0.0.1:8081/healthz"]
      interval: 1s
  seed:
    image: localhost/berth-test/client:latest
    command: ["-put", "http://kv:8081/k/seed", "planted"]
    depends_on:
      kv:
        condition: service_healthy
  app:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on:
      seed:
        condition: service_completed_successfully
`

func TestComposeCompletedSuccessfully(t *testing.T) {
	s := newCompose(t, map[string]string{"stack.yaml": composeOneshotYAML}, "-f", "stack.yaml")
	t0 := time.Now()
	out := s.must("up", "-d", "-f", "stack.yaml")
	t.Logf("up -d -f stack.yaml took %s:\n%s", time.Since(t0), out)
	seedDone := progressLine(out, "seed", "ready")
	appStart := progressLine(out, "app", "starting")
	if seedDone < 0 || appStart < 0 || appStart < seedDone {
		t.Errorf("app must start after seed completed (lines %d, %d):\n%s", seedDone, appStart, out)
	}
	got, err := s.berthCmd("exec", "-f", "stack.yaml", "app", "--", "/client", "-get", "http://kv:8081/k/seed")
	if err != nil || strings.TrimSpace(got) != "planted" {
		t.Fatalf("seed's value: %q %v", got, err)
	}
	if strings.Contains(s.must("ps", "-f", "stack.yaml"), "failed") {
		t.Errorf("ps shows a failure:\n%s", s.must("ps", "-f", "stack.yaml"))
	}
	s.must("down", "-f", "stack.yaml")
}

// progressLine is the index of the first "SERVICE   STATUS..." progress line.
func progressLine(out, service, status string) int {
	for i, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) >= 2 && f[0] == service && f[1] == status {
			return i
		}
	}
	return -1
}

// A file secret and an environment secret (from --env-file) reach the
// container under /run/secrets, and neither value is in podman's view of
// the container, in berth's output or in the recorded units.
const composeSecretYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
    secrets:
      - token
      - source: apikey
        target: api_key
  client:
    image: localhost/berth-test/client:latest
    command: ["-sleep"]
    depends_on: [web]
secrets:
  token:
    file: ./token.txt
  apikey:
    environment: API_KEY
`

func TestComposeSecrets(t *testing.T) {
	const token, apiKey = "tok-7f3a9c41e2", "key-55d0b7aa19"
	s := newCompose(t, map[string]string{
		"compose.yaml": composeSecretYAML,
		"token.txt":    token,
		"secrets.env":  "API_KEY=" + apiKey + "\n",
	})
	out := s.must("up", "-d", "--env-file", "secrets.env")
	if strings.Contains(out, token) || strings.Contains(out, apiKey) {
		t.Fatalf("a secret value in berth's output:\n%s", out)
	}
	for path, want := range map[string]string{"/run/secrets/token": token, "/run/secrets/api_key": apiKey} {
		got, err := s.exec("-get", "http://web:8080/file"+path)
		if err != nil || got != want {
			t.Errorf("%s in the container: %q %v", path, got, err)
		}
	}
	inspect := podmanOut(t, "inspect", s.project+"-web-1")
	if strings.Contains(inspect, token) || strings.Contains(inspect, apiKey) {
		t.Errorf("a secret value in podman inspect of the container")
	}
	if !strings.Contains(inspect, s.project+"_token") {
		t.Errorf("podman inspect does not show the podman secret %s_token", s.project)
	}
	state, _ := exec.Command("sh", "-c", "cat "+s.stateDir()+"/*.json").Output()
	if strings.Contains(string(state), token) || strings.Contains(string(state), apiKey) {
		t.Errorf("a secret value in berth's state (the recorded units)")
	}

	// A changed file replaces the podman secret; the recreated container
	// reads the new value.
	if err := os.WriteFile(filepath.Join(s.dir, "token.txt"), []byte(token+"-v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	out = s.must("up", "-d", "--env-file", "secrets.env")
	if !strings.Contains(out, s.project+"_token") || !strings.Contains(out, "replaced") {
		t.Errorf("second up did not replace the changed secret:\n%s", out)
	}
	if strings.Contains(out, s.project+"_apikey") {
		t.Errorf("second up touched the unchanged secret:\n%s", out)
	}
	s.must("restart", "--env-file", "secrets.env", "web")
	if got, err := s.exec("-wait", "http://web:8080/file/run/secrets/token"); err != nil || got != token+"-v2" {
		t.Errorf("token after change and restart: %q %v", got, err)
	}
	// down keeps the podman secrets berth created (like volumes); down
	// --volumes removes them.
	s.must("down")
	if out := podmanOut(t, "secret", "ls"); !strings.Contains(out, s.project+"_token") {
		t.Errorf("down removed the project's secrets:\n%s", out)
	}
	s.must("up", "-d", "--env-file", "secrets.env")
	s.must("down", "--volumes")
	if out := podmanOut(t, "secret", "ls"); strings.Contains(out, s.project+"_") {
		t.Errorf("down --volumes left the project's secrets:\n%s", out)
	}
}

// The Botticelli example converts with nothing lost for a podman whose
// quadlet has .build units and names networks and volumes (5.2 and newer;
// convert targets the installed podman unless told).
func TestComposeConvertBotticelli(t *testing.T) {
	berth := stBerth(t)
	_, file, _, _ := runtime.Caller(0)
	example := filepath.Join(filepath.Dir(file), "..", "..", "examples", "botticelli", "compose.yaml")
	outDir := t.TempDir()
	cmd := exec.Command(berth, "--podman-version", "5.2.0", "convert", "-f", example, "-o", outDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("berth convert: %v\n%s", err, out)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "approximated:") || strings.Contains(l, "dropped:") || strings.Contains(l, "error:") {
			t.Errorf("loss in the report: %s", l)
		}
	}
	files, _ := filepath.Glob(filepath.Join(outDir, "*"))
	if len(files) < 8 {
		t.Errorf("convert wrote %d files:\n%s", len(files), out)
	}
	t.Logf("berth convert:\n%s", out)
}
