//go:build e2e

package e2e

import (
	"os/exec"
	"strings"
	"testing"
)

// Orphans (issue 18, item 4): down -f subset.yaml removes only that file's
// services; the project's other containers are kept, with the network they
// use, and reported, until --remove-orphans.
const composeFullYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
  kv:
    image: localhost/berth-test/kv:latest
    volumes: [data:/data]
volumes:
  data: {}
`

const composeSubsetYAML = `
name: {P}
services:
  web:
    image: localhost/berth-test/web:latest
`

func TestComposeOrphansKept(t *testing.T) {
	s := newCompose(t, map[string]string{"full.yaml": composeFullYAML, "subset.yaml": composeSubsetYAML},
		"-f", "full.yaml", "--remove-orphans")
	s.must("up", "-d", "-f", "full.yaml")
	out := s.must("down", "-f", "subset.yaml")
	if !strings.Contains(out, "orphan containers ("+s.project+"-kv-1)") {
		t.Errorf("down -f subset.yaml does not report kv as an orphan:\n%s", out)
	}
	got := strings.Join(s.containers(), "\n")
	if got != s.project+"-kv-1 running" {
		t.Fatalf("after down -f subset.yaml: containers %q, want only kv running", got)
	}
	if exec.Command("podman", "network", "exists", s.project+"_default").Run() != nil {
		t.Errorf("the default network kv uses was removed")
	}
	// kv is still supervised and reachable.
	if out, err := s.berthCmd("exec", "-f", "full.yaml", "kv", "--", "/kv", "-check", "http://127.0.0.1:8081/healthz"); err != nil {
		t.Errorf("kv after the subset's down: %v\n%s", err, out)
	}

	// up of the subset warns of the orphan; --remove-orphans removes it.
	out = s.must("up", "-d", "-f", "subset.yaml")
	if !strings.Contains(out, "orphan containers ("+s.project+"-kv-1)") {
		t.Errorf("up -f subset.yaml does not warn of the orphan:\n%s", out)
	}
	s.must("up", "-d", "-f", "subset.yaml", "--remove-orphans")
	if got := strings.Join(s.containers(), "\n"); got != s.project+"-web-1 running" {
		t.Errorf("after up --remove-orphans: %q", got)
	}
	if exec.Command("podman", "volume", "exists", s.project+"_data").Run() != nil {
		t.Errorf("--remove-orphans removed kv's volume")
	}
	s.must("down", "-f", "full.yaml", "--volumes")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after down: %q", c)
	}
}

// down SERVICE removes that service only.
func TestComposeDownService(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeFullYAML})
	s.must("up", "-d")
	s.must("down", "web")
	if got := strings.Join(s.containers(), "\n"); got != s.project+"-kv-1 running" {
		t.Fatalf("after down web: %q", got)
	}
	s.must("up", "-d")
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after down: %q", c)
	}
}

// A missing external network or volume (item 3) is an error naming each,
// before anything starts; an existing one is used and never removed.
const composeExternalYAML = `
name: {P}
services:
  kv:
    image: localhost/berth-test/kv:latest
    volumes: [ext:/data]
    networks: [shared]
volumes:
  ext:
    external: true
    name: {P}-extvol
networks:
  shared:
    external: true
    name: {P}-extnet
`

func TestComposeExternalMissing(t *testing.T) {
	s := newCompose(t, map[string]string{"compose.yaml": composeExternalYAML})
	t.Cleanup(func() {
		_ = exec.Command("podman", "volume", "rm", "-f", s.project+"-extvol").Run()
		_ = exec.Command("podman", "network", "rm", "-f", s.project+"-extnet").Run()
	})
	out, err := s.berthCmd("up", "-d")
	if err == nil {
		t.Fatalf("up with missing external resources succeeded:\n%s", out)
	}
	for _, want := range []string{
		"network " + s.project + "-extnet declared as external, but could not be found",
		`external volume "` + s.project + `-extvol" not found`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if exec.Command("podman", "volume", "exists", s.project+"-extvol").Run() == nil {
		t.Errorf("the external volume was created")
	}
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers after the refused up: %q", c)
	}
	podmanOut(t, "volume", "create", s.project+"-extvol")
	podmanOut(t, "network", "create", s.project+"-extnet")
	s.must("up", "-d")
	s.must("down", "--volumes")
	if exec.Command("podman", "volume", "exists", s.project+"-extvol").Run() != nil {
		t.Errorf("down --volumes removed the external volume")
	}
	if exec.Command("podman", "network", "exists", s.project+"-extnet").Run() != nil {
		t.Errorf("down removed the external network")
	}
}
