//go:build e2e

package e2e

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Issue 11 item 4 without systemd: the podman < 4.7 health wait runs the
// checks itself here (no podman timer), every HealthInterval=. The slow
// starter (ready after 2 s, HealthRetries=3, HealthOnFailure=kill) becomes
// healthy; the never-healthy one fails when podman kills it, not at
// TimeoutStartSec.
func TestStackHealthWaitOldPodman(t *testing.T) {
	// The health wait under test is what berth compiles for podman < 4.7;
	// from 4.7 the unit uses podman's own --sdnotify=healthy (no
	// ExecStartPost= wait), which TestComposeUnhealthyDependency and the
	// health-gated stack tests cover there.
	vout, verr := exec.Command("podman", "version", "--format", "{{.Client.Version}}").Output()
	v := strings.TrimSpace(string(vout))
	if verr != nil {
		t.Fatalf("podman version: %v", verr)
	}
	if maj, min, ok := majorMinor(v); ok && (maj > 4 || maj == 4 && min >= 7) {
		t.Skipf("podman %s >= 4.7: the unit waits with podman's --sdnotify=healthy, not the < 4.7 ExecStartPost= health wait this tests", v)
	}
	s := newStack(t, healthStack)
	out, err := s.berthCmd("up", "-d", "--metrics-addr", "off", "slow")
	t.Logf("up -d slow:\n%s", out)
	if err != nil {
		t.Fatalf("the slow starter did not start: %v", err)
	}
	var rows []struct {
		Service  string
		State    string
		Health   string
		Restarts int
	}
	if err := json.Unmarshal([]byte(s.must("ps", "--json")), &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Service == "slow" && (r.State != "active" || r.Health != "healthy" || r.Restarts != 0) {
			t.Errorf("slow: %+v", r)
		}
	}
	t0 := time.Now()
	out, err = s.berthCmd("up", "-d", "--metrics-addr", "off", "sick")
	took := time.Since(t0)
	t.Logf("up -d sick failed after %.1fs:\n%s", took.Seconds(), out)
	if err == nil {
		t.Fatal("the never-healthy container started")
	}
	// Two watchers see the kill, whichever first: the unit's ExecStartPost=
	// wait ("... before it was healthy") or the executor's own watch of the
	// waiting start ("... while waiting for it to be healthy").
	killed := strings.Contains(out, "before it was healthy") || strings.Contains(out, "while waiting for it to be healthy")
	if !killed || strings.Contains(out, "TimeoutStartSec") {
		t.Errorf("sick did not fail as its container was killed")
	}
	s.must("down")
}

// majorMinor parses "5.8.6" into 5, 8.
func majorMinor(v string) (maj, min int, ok bool) {
	f := strings.SplitN(v, ".", 3)
	if len(f) < 2 {
		return 0, 0, false
	}
	maj, err1 := strconv.Atoi(f[0])
	min, err2 := strconv.Atoi(f[1])
	return maj, min, err1 == nil && err2 == nil
}
