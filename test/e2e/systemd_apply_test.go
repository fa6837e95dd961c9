//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Day 2 under a real systemd: install --now, then change one unit, drop
// another, keep the third; a bind-mounted file's change; an apply whose new
// revision fails its health check, with --wait --rollback-on-failure; a
// rollback by hand; uninstall. Each apply goes through run's planner.

const applyDir = "/srv/stacks/apply"

var applyStack = map[string]string{
	"apply.network": "[Network]\nNetworkName=apply-net\n",
	"one.container": `[Container]
ContainerName=apply-one
Image=localhost/berth-test/web:latest
Network=apply.network
Environment=MESSAGE=v1
HealthCmd=["/web","-check","http://127.0.0.1:8080/healthz"]
HealthInterval=2s
HealthRetries=2
`,
	"two.container": `[Container]
ContainerName=apply-two
Image=localhost/berth-test/web:latest
Network=apply.network
Volume=./conf/two.txt:/conf/two.txt:ro
`,
	"three.container": `[Container]
ContainerName=apply-three
Image=localhost/berth-test/web:latest
Network=apply.network
`,
	"conf/two.txt": "first\n",
}

type applyEnv struct {
	sdInstance
	t *testing.T
}

func (e applyEnv) put(name, content string) {
	e.t.Helper()
	p := filepath.Join(e.t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.must("cp", p, filepath.Join(applyDir, name))
}

func (e applyEnv) id(container string) string {
	out, err := e.exec("podman", "inspect", "--format", "{{.Id}}", container)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

func (e applyEnv) env(container, name string) string {
	out, _ := e.exec("podman", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", container)
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, name+"="); ok {
			return v
		}
	}
	return ""
}

func (e applyEnv) berth(args ...string) string {
	e.t.Helper()
	t0 := time.Now()
	out := e.mustExec(append([]string{berthInner}, args...)...)
	e.t.Logf("berth %s (%.1fs):\n%s", strings.Join(args, " "), time.Since(t0).Seconds(), out)
	return out
}

func (e applyEnv) active(unit string) string {
	out, _ := e.exec("systemctl", "is-active", unit)
	return strings.TrimSpace(out)
}

func (e applyEnv) health(container string) string {
	out, _ := e.exec("podman", "inspect", "--format", "{{.State.Health.Status}}", container)
	return strings.TrimSpace(out)
}

// On bookworm berth is the generator (podman 4.3.1 has none); on sid podman
// 5.8's own generator compiles the installed files, and berth still plans.
func TestSystemdApply(t *testing.T) { forEachHost(t, testSystemdApply) }

func testSystemdApply(t *testing.T, h sdHost) {
	images := []string{"localhost/berth-test/web:latest"}
	needImages(t, "scripts/build-test-images.sh", images...)
	e := applyEnv{sdInstance: bootSystemd(t, h, "berth-e2e-apply"), t: t}
	e.must(append([]string{"load"}, images...)...)
	installBerth(t, e.sdInstance)
	for name, text := range applyStack {
		e.put(name, text)
	}

	out := e.berth("install", "--now", "--wait=90s", applyDir)
	for _, u := range []string{"one.service", "two.service", "three.service"} {
		if e.active(u) != "active" {
			t.Fatalf("%s not active after install --now:\n%s", u, out)
		}
	}
	if !strings.Contains(out, "add     one.service") || !strings.Contains(out, "revision 1") {
		t.Errorf("first install output lacks its plan or revision")
	}
	oneID, twoID := e.id("apply-one"), e.id("apply-two")

	// Change one, drop three, keep two: the dry run changes nothing.
	e.put("one.container", strings.Replace(applyStack["one.container"], "MESSAGE=v1", "MESSAGE=v2", 1))
	e.mustExec("rm", filepath.Join(applyDir, "three.container"))
	out = e.berth("install", "--dry-run", applyDir)
	for _, want := range []string{"remove  three.service (no longer in the stack)", "change  one.service (Environment=)", "keep    two.service"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q", want)
		}
	}
	if e.id("apply-one") != oneID || e.active("three.service") != "active" {
		t.Fatal("install --dry-run changed the stack")
	}
	diff := e.berth("diff", "apply", applyDir)
	if !strings.Contains(diff, "change  one.service (Environment=)") {
		t.Errorf("berth diff differs from install --dry-run")
	}
	out = e.berth("install", "--wait=90s", applyDir)
	if got := e.id("apply-one"); got == oneID || got == "" || e.env("apply-one", "MESSAGE") != "v2" {
		t.Errorf("one: container %q (was %q), MESSAGE=%q; want a new container with v2", got, oneID, e.env("apply-one", "MESSAGE"))
	}
	if e.id("apply-two") != twoID {
		t.Errorf("two was recreated although unchanged")
	}
	if e.id("apply-three") != "" || e.active("three.service") == "active" {
		t.Errorf("three is still there: container %q, %s", e.id("apply-three"), e.active("three.service"))
	}
	oneID = e.id("apply-one")

	// A bind-mounted file changes: exactly the container that mounts it.
	e.put("conf/two.txt", "second\n")
	out = e.berth("install", "--wait=90s", applyDir)
	if !strings.Contains(out, "change  two.service (conf/two.txt)") {
		t.Errorf("the plan does not name the bind-mounted file")
	}
	if e.id("apply-two") == twoID || e.id("apply-one") != oneID {
		t.Errorf("two: %v (want new), one: %v (want same)", e.id("apply-two") != twoID, e.id("apply-one") == oneID)
	}

	// A revision whose health check fails goes back by itself.
	bad := strings.Replace(applyStack["one.container"], "MESSAGE=v1", "MESSAGE=v3", 1)
	bad = strings.Replace(bad, "127.0.0.1:8080/healthz", "127.0.0.1:9/healthz", 1)
	e.put("one.container", bad)
	t0 := time.Now()
	out, err := e.exec(berthInner, "install", "--wait=60s", "--rollback-on-failure", applyDir)
	t.Logf("install --wait --rollback-on-failure (%.1fs), err %v:\n%s", time.Since(t0).Seconds(), err, out)
	if err == nil || !strings.Contains(out, "rolled back to revision 3") {
		t.Errorf("a failed apply did not roll back and say so")
	}
	if e.env("apply-one", "MESSAGE") != "v2" || e.active("one.service") != "active" {
		t.Errorf("after the rollback one runs MESSAGE=%q, %s", e.env("apply-one", "MESSAGE"), e.active("one.service"))
	}
	waitHealthy(t, e, "apply-one")
	hist := e.berth("history", "apply")
	if !strings.Contains(hist, "rollback to revision 3") {
		t.Errorf("history lacks the rollback")
	}

	// Rollback by hand, to the first revision: three comes back, one is v1.
	out = e.berth("rollback", "--wait=90s", "apply", "1")
	if !strings.Contains(out, "note: conf/two.txt changed since revision 1") {
		t.Errorf("rollback does not name the bind-mounted file it does not roll back")
	}
	if e.env("apply-one", "MESSAGE") != "v1" || e.active("three.service") != "active" {
		t.Errorf("rollback to 1: one MESSAGE=%q, three %s", e.env("apply-one", "MESSAGE"), e.active("three.service"))
	}
	waitHealthy(t, e, "apply-one")

	// The folder (which a rollback does not touch) has no three: installing
	// it drops three again. Then uninstall: nothing of the stack runs.
	out = e.berth("install", applyDir)
	if !strings.Contains(out, "remove  three.service") || e.active("three.service") == "active" {
		t.Errorf("three not removed again")
	}
	e.berth("uninstall", "apply")
	if ps := e.mustExec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, "apply-") {
		t.Errorf("containers left after uninstall: %s", ps)
	}
	for _, p := range []string{"/etc/containers/systemd/apply", "/var/lib/berth/systemd/apply"} {
		if _, err := e.exec("test", "-e", p); err == nil {
			t.Errorf("%s left behind", p)
		}
	}
}

func waitHealthy(t *testing.T, e applyEnv, container string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if e.health(container) == "healthy" {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("%s is %q, not healthy", container, e.health(container))
}

// kill -9 of `berth install` at any point, then `berth install` again,
// converges: the new revision runs, nothing is duplicated or left over.
func TestSystemdApplyInterrupted(t *testing.T) {
	onBookworm(t, "kill -9 at eight points is measured on one host", testSystemdApplyInterrupted)
}

func testSystemdApplyInterrupted(t *testing.T, h sdHost) {
	images := []string{"localhost/berth-test/web:latest"}
	needImages(t, "scripts/build-test-images.sh", images...)
	e := applyEnv{sdInstance: bootSystemd(t, h, "berth-e2e-apply-kill"), t: t}
	e.must(append([]string{"load"}, images...)...)
	installBerth(t, e.sdInstance)
	for name, text := range applyStack {
		if name != "one.container" {
			e.put(name, text)
		}
	}
	one := strings.Replace(applyStack["one.container"], "HealthCmd", "#HealthCmd", 1)
	e.put("one.container", one)
	e.berth("install", "--now", applyDir)
	for k, delay := range []string{"0.05", "0.1", "0.15", "0.2", "0.25", "0.3", "0.4", "0.6"} {
		msg := fmt.Sprintf("k%d", k)
		e.put("one.container", strings.Replace(one, "MESSAGE=v1", "MESSAGE="+msg, 1))
		withThree := k%2 == 1
		if withThree {
			e.put("three.container", applyStack["three.container"])
		} else {
			e.exec("rm", "-f", filepath.Join(applyDir, "three.container"))
		}
		out, _ := e.exec("sh", "-c", `"$1" install "$2" >/tmp/killed.log 2>&1 & pid=$!; sleep "$3"; kill -9 $pid; wait $pid; cat /tmp/killed.log`,
			"sh", berthInner, applyDir, delay)
		t.Logf("killed after %ss:\n%s", delay, out)
		out = e.berth("install", "--wait=60s", applyDir)
		if got := e.env("apply-one", "MESSAGE"); got != msg || e.active("one.service") != "active" {
			t.Errorf("after kill at %ss and install: one MESSAGE=%q (want %s), %s", delay, got, msg, e.active("one.service"))
		}
		if three := e.active("three.service") == "active"; three != withThree || (e.id("apply-three") != "") != withThree {
			t.Errorf("after kill at %ss and install: three active=%v container=%q, want %v", delay, three, e.id("apply-three"), withThree)
		}
		names := e.mustExec("podman", "ps", "-a", "--format", "{{.Names}}")
		for _, c := range []string{"apply-one", "apply-two"} {
			if strings.Count(names, c) != 1 {
				t.Errorf("%s: %d containers:\n%s", c, strings.Count(names, c), names)
			}
		}
		if _, err := e.exec("test", "-e", "/var/lib/berth/systemd/apply/staging"); err == nil {
			t.Errorf("a staging folder is left after a complete install")
		}
		// A third install has nothing to do.
		if out := e.berth("install", "--dry-run", applyDir); strings.Contains(out, "change ") || strings.Contains(out, "remove ") || strings.Contains(out, "add ") {
			t.Errorf("not converged after kill at %ss:\n%s", delay, out)
		}
	}
	e.berth("history", "apply")
	e.berth("uninstall", "apply")
	if ps := e.mustExec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, "apply-") {
		t.Errorf("containers left after uninstall: %s", ps)
	}
}

// The time from `berth install` to healthy for a one-service change of the
// real examples/colosseum under systemd (podman 4.3.1): reported, not
// asserted.
func TestSystemdColosseumApply(t *testing.T) {
	if os.Getenv("BERTH_E2E_PG") == "0" {
		t.Skip("BERTH_E2E_PG=0")
	}
	forEachHost(t, testSystemdColosseumApply)
}

func testSystemdColosseumApply(t *testing.T, h sdHost) {
	needImages(t, "scripts/build-test-images.sh --pg", pgImage)
	store, shared := hostImageStore()
	var nspawnArgs []string
	if shared {
		nspawnArgs = append(nspawnArgs, "--bind-ro="+store+":"+innerHostStore)
	}
	n := bootSystemd(t, h, "berth-e2e-colapply", nspawnArgs...)
	useImages(t, n, shared, pgImage)
	installBerth(t, n)
	copyExamples(t, n, innerCheckout)
	n.mustExec("sh", "-c", "head -c 18 /dev/urandom | base64 | tr -d '\\n/+=' | podman secret create colosseum-db-password - >/dev/null")
	dir := innerCheckout + "/examples/colosseum"
	e := applyEnv{sdInstance: n, t: t}
	t0 := time.Now()
	e.berth("install", "--now", "--wait=180s", dir)
	t.Logf("first install to healthy: %.1fs", time.Since(t0).Seconds())
	waitDatabaseReachable(t, n, systemScope, 60*time.Second)
	t0 = time.Now()
	out := e.berth("install", "--wait", dir)
	t.Logf("install with nothing changed: %.2fs", time.Since(t0).Seconds())
	if !strings.Contains(out, "5 unchanged") {
		t.Errorf("an install with nothing changed did something")
	}
	dbID := e.id("colosseum-db")
	var took []string
	for _, v := range []string{"v2", "v3", "v4"} {
		agentID := e.id("colosseum-agent")
		n.mustExec("sed", "-i", "s/^Label=app=colosseum$/Label=app=colosseum\\nLabel=revision="+v+"/; /^Label=revision=/d", dir+"/colosseum-agent.container")
		t0 = time.Now()
		out = e.berth("install", "--wait=180s", dir)
		d := time.Since(t0)
		took = append(took, fmt.Sprintf("%.1fs", d.Seconds()))
		if !strings.Contains(out, "change  colosseum-agent.service (Label=)") || !strings.Contains(out, "keep    colosseum-db.service") {
			t.Errorf("plan for a label change of the agent:\n%s", out)
		}
		if e.id("colosseum-agent") == agentID || e.id("colosseum-db") != dbID {
			t.Errorf("agent new: %v, db same: %v", e.id("colosseum-agent") != agentID, e.id("colosseum-db") == dbID)
		}
		if h := e.health("colosseum-agent"); h != "healthy" {
			t.Errorf("install --wait returned with the agent %q", h)
		}
	}
	t.Logf("berth install --wait of a one-service change (the agent) to healthy on %s (%s), 3 runs: %s", h.name, hostVersions(n), strings.Join(took, ", "))
	waitDatabaseReachable(t, n, systemScope, 30*time.Second)
	var hist []struct {
		Revision int  `json:"revision"`
		Current  bool `json:"current"`
	}
	if err := json.Unmarshal([]byte(e.berth("history", "--json", "colosseum")), &hist); err != nil || len(hist) != 5 ||
		hist[4].Revision != 5 || !hist[4].Current {
		t.Errorf("history --json: %v %+v", err, hist)
	}
	e.berth("uninstall", "colosseum")
}
