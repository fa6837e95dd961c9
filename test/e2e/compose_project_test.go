//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Where the project comes from (issue 18, item 5): COMPOSE_FILE,
// COMPOSE_PROJECT_NAME and COMPOSE_PROFILES from .env; compose.yaml found
// from a sub-folder; a service named on the command line runs even though
// its profile is not active.
func TestComposeProjectFromDotEnv(t *testing.T) {
	s := newCompose(t, map[string]string{
		".env": "COMPOSE_FILE=main.yaml\nCOMPOSE_PROJECT_NAME={P}\nCOMPOSE_PROFILES=extra\n",
		"main.yaml": `
services:
  web:
    image: localhost/berth-test/web:latest
  extra:
    image: localhost/berth-test/client:latest
    profiles: [extra]
  debug:
    image: localhost/berth-test/client:latest
    profiles: [debug]
`,
		// what a sub-folder finds by looking upwards
		"compose.yaml": "include: [main.yaml]\n",
	})
	if err := os.MkdirAll(filepath.Join(s.dir, "sub", "deeper"), 0o755); err != nil {
		t.Fatal(err)
	}
	s.must("up", "-d")
	if got := strings.Join(s.containers(), "\n"); !strings.Contains(got, s.project+"-web-1 running") ||
		!strings.Contains(got, s.project+"-extra-1 running") || strings.Contains(got, "debug") {
		t.Fatalf("containers %q: want web and extra (COMPOSE_PROFILES from .env), not debug", got)
	}
	s.must("up", "-d", "debug")
	if got := strings.Join(s.containers(), "\n"); !strings.Contains(got, s.project+"-debug-1 running") {
		t.Errorf("up debug did not start the service named despite its profile: %q", got)
	}
	// From a sub-folder: compose.yaml of the parent, the same project.
	deeper := exec.Command(s.berth, "-C", filepath.Join(s.dir, "sub", "deeper"), "ps", "--json")
	out, err := deeper.CombinedOutput()
	if err != nil {
		t.Fatalf("ps from a sub-folder: %v\n%s", err, out)
	}
	var rows []struct{ Service, State, Container string }
	if err := json.Unmarshal(out, &rows); err != nil {
		t.Fatalf("ps --json: %v\n%s", err, out)
	}
	seen := map[string]string{}
	for _, r := range rows {
		seen[r.Service] = r.State + " " + r.Container
	}
	if seen["web"] != "active "+s.project+"-web-1" || seen["extra"] != "active "+s.project+"-extra-1" {
		t.Errorf("ps from sub/deeper: %+v", rows)
	}
	// down removes the service of the inactive profile too (it is declared,
	// not an orphan), and leaves no supervisor behind.
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after down: %q", c)
	}
	if out, _ := exec.Command("pgrep", "-f", "-p "+s.project+" supervise").Output(); len(out) > 0 {
		t.Errorf("a supervisor is left after down: %s", out)
	}
}

// Namespaces (item 6): ipc/pid service:NAME join that service's container;
// a relative seccomp profile is read from the project folder.
const composeNamespacesYAML = `
name: {P}
services:
  a:
    image: localhost/berth-test/web:latest
    ipc: shareable
    security_opt: ["seccomp=profiles/allow.json"]
  b:
    image: localhost/berth-test/client:latest
    ipc: service:a
    pid: service:a
`

func TestComposeNamespaces(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeNamespacesYAML})
	if err := os.MkdirAll(filepath.Join(s.dir, "profiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, "profiles", "allow.json"), []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s.must("up", "-d")
	aID := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-a-1"))
	modes := strings.TrimSpace(podmanOut(t, "inspect", "--format", "{{.HostConfig.IpcMode}} {{.HostConfig.PidMode}}", s.project+"-b-1"))
	if modes != "container:"+aID+" container:"+aID {
		t.Errorf("b's ipc and pid modes %q, want a's container (%s)", modes, aID)
	}
}
