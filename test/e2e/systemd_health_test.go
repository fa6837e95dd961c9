//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// healthStack is issue 11's health-gated start on podman < 4.7 under the
// real systemd: quadlet compiles Notify=healthy as --sdnotify=conmon plus an
// ExecStartPost= wait, while podman 4.3.1 runs the health checks from its
// own transient systemd timer.
var healthStack = map[string]string{
	// Healthy after 2 s; checked every second, killed after five failures
	// (three left too little room on a fully loaded first run of the suite:
	// the app came up after the third check and was killed).
	"slow.container": `[Container]
Image=localhost/berth-test/web:latest
Environment=READY_AFTER=2
HealthCmd=["/web","-check","http://127.0.0.1:8080/healthz"]
HealthInterval=1s
HealthRetries=5
HealthOnFailure=kill
Notify=healthy
`,
	// Never healthy: podman kills it after three failed checks.
	"sick.container": `[Container]
Image=localhost/berth-test/web:latest
HealthCmd=["/web","-check","http://127.0.0.1:8080/no-such-page"]
HealthInterval=1s
HealthRetries=3
HealthOnFailure=kill
Notify=healthy
`,
}

func TestSystemdHealthGateOldPodman(t *testing.T) {
	onBookworm(t, "the < 4.7 health gate is compiled for podman 4.3.1 only", testSystemdHealthGateOldPodman)
}

func testSystemdHealthGateOldPodman(t *testing.T, h sdHost) {
	needImages(t, "scripts/build-test-images.sh", "localhost/berth-test/web:latest")
	n := bootSystemd(t, h, "berth-e2e-health")
	n.must("load", "localhost/berth-test/web:latest")
	installBerth(t, n)
	const dir = "/srv/stacks/health"
	src := t.TempDir()
	for name, content := range healthStack {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		n.must("cp", p, filepath.Join(dir, name))
	}
	n.mustExec(berthInner, "install", dir)
	if unit := n.mustExec("systemctl", "cat", "slow.service"); !strings.Contains(unit, "--sdnotify=conmon") ||
		!strings.Contains(unit, "ExecStartPost=") {
		t.Fatalf("not the podman < 4.7 health gate:\n%s", unit)
	}

	// The slow starter becomes active once healthy, with no restart: the wait
	// only observes, so podman's timer alone spends HealthRetries.
	t0 := time.Now()
	if out, err := n.exec("systemctl", "start", "slow.service"); err != nil {
		st, _ := n.exec("systemctl", "status", "--no-pager", "-l", "slow.service")
		logs, _ := n.exec("journalctl", "--no-pager", "-u", "slow.service")
		t.Fatalf("slow.service did not start: %v\n%s\n%s\n%s", err, out, st, logs)
	}
	t.Logf("slow.service active after %.1fs (healthy after 2 s, checked every 1 s)", time.Since(t0).Seconds())
	if h := strings.TrimSpace(n.mustExec("podman", "inspect", "--format", "{{.State.Health.Status}}", "systemd-slow")); h != "healthy" {
		t.Errorf("slow is active but its health is %q", h)
	}
	if r := strings.TrimSpace(n.mustExec("systemctl", "show", "-p", "NRestarts", "--value", "slow.service")); r != "0" {
		t.Errorf("slow.service restarted %s times", r)
	}
	id := strings.TrimSpace(n.mustExec("podman", "inspect", "--format", "{{.Id}}", "systemd-slow"))
	if _, err := n.exec("test", "-e", "/run/systemd/transient/"+id+".timer"); err != nil {
		t.Errorf("podman's health-check timer %s.timer not found: the wait may have run the checks itself", id)
	}

	// The never-healthy one fails as soon as podman kills it, not at
	// TimeoutStartSec (90 s): the unit's result is exit-code, not timeout.
	t0 = time.Now()
	if out, err := n.exec("systemctl", "start", "sick.service"); err == nil {
		t.Fatalf("sick.service started although never healthy:\n%s", out)
	}
	took := time.Since(t0)
	result := strings.TrimSpace(n.mustExec("systemctl", "show", "-p", "Result", "--value", "sick.service"))
	logs, _ := n.exec("journalctl", "--no-pager", "-o", "cat", "-u", "sick.service")
	t.Logf("sick.service failed after %.1fs, Result=%s", took.Seconds(), result)
	if result == "timeout" || !strings.Contains(logs, "before it was healthy") {
		t.Errorf("sick.service: Result=%s; want the wait to fail when the container is killed\n%s", result, logs)
	}
}
