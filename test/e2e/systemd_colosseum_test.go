//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The real examples/colosseum under a real systemd, on each test host:
// PostgreSQL (the 370 MB pg:15 test image) with Notify=healthy and a podman
// secret, the agent image built by a .build unit from ../agent, a network
// and a volume. On bookworm berth compiles it for podman 4.3.1 as the
// quadlet generator; on sid podman 5.8's own generator does. System scope
// on both hosts; user scope (rootless, `berth install --user`, the user
// manager) where rootless containers can run under it: sid.

const (
	colosseumInstance = "berth-e2e-colosseum"
	pgImage           = "localhost/berth-test/pg:15"
	// A checkout inside the instance: examples/colosseum and examples/agent
	// side by side, as the stack's relative paths (../agent) expect.
	innerCheckout = "/srv/berth"
	// Where the instance sees the host's image store (read-only).
	innerHostStore = "/var/lib/berth-host-store"
)

var colosseumServices = []string{
	"colosseum-network.service", "colosseum-db-data-volume.service",
	"colosseum-agent-build.service", "colosseum-db.service", "colosseum-agent.service",
}

// hostImageStore returns the host's podman graph root when the instance's
// podman can use it as an additional (read-only) image store: then the pg
// image is there at once, where `podman save | podman load` of its 370 MB
// takes ~11 s.
func hostImageStore() (string, bool) {
	out, err := exec.Command("podman", "info", "--format", "{{.Store.GraphDriverName}} {{.Store.GraphRoot}}").Output()
	if err != nil {
		return "", false
	}
	f := strings.Fields(string(out))
	if len(f) != 2 || f[0] != "overlay" || !filepath.IsAbs(f[1]) {
		return "", false
	}
	return f[1], true
}

// useImages makes the images available to the instance's podman: through the
// host's store bound read-only at innerHostStore when shared, else by
// copying them.
func useImages(t *testing.T, n sdInstance, shared bool, images ...string) {
	t.Helper()
	t0 := time.Now()
	if shared {
		conf := fmt.Sprintf(`# berth e2e: the host's image store, read-only
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
[storage.options]
additionalimagestores = [%q]
`, innerHostStore)
		p := filepath.Join(t.TempDir(), "storage.conf")
		if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		n.must("cp", p, "/etc/containers/storage.conf")
		ok := true
		for _, img := range images {
			if _, err := n.exec("podman", "image", "exists", img); err != nil {
				ok = false
			}
		}
		if ok {
			t.Logf("images shared from the host's store in %.1fs", time.Since(t0).Seconds())
			return
		}
		t.Logf("the host's image store is not usable inside; copying the images")
		n.mustExec("rm", "-f", "/etc/containers/storage.conf")
	}
	n.must(append([]string{"load"}, images...)...)
	t.Logf("images loaded (podman save | podman load) in %.1fs", time.Since(t0).Seconds())
}

// copyExamples puts examples/colosseum and examples/agent (its Containerfile
// and a freshly built static agent binary) into dest.
func copyExamples(t *testing.T, n sdInstance, dest string) {
	t.Helper()
	repo := sdRepoRoot(t)
	tree := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(tree, "examples/agent/bin/agent"), "./examples/agent")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./examples/agent: %v\n%s", err, out)
	}
	cp := exec.Command("cp", "-r", filepath.Join(repo, "examples/colosseum"), filepath.Join(tree, "examples/colosseum"))
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	cp = exec.Command("cp", filepath.Join(repo, "examples/agent/Containerfile"), filepath.Join(tree, "examples/agent/"))
	if out, err := cp.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	n.copyTree(tree, dest, "examples")
}

// colosseumScope is where and as whom the Colosseum test runs.
type colosseumScope struct {
	user     *sdUser // nil: system scope, as root
	checkout string  // examples/ is copied here
	genDir   string  // where the generators write the services
	stackDir string  // where berth installs the stack
}

// systemScope is the Colosseum stack installed as root.
var systemScope = colosseumScope{checkout: innerCheckout, genDir: "/run/systemd/generator", stackDir: "/etc/containers/systemd/colosseum"}

func (c colosseumScope) run(n sdInstance, args ...string) (string, error) {
	if c.user != nil {
		return c.user.exec(args...)
	}
	return n.exec(args...)
}

func (c colosseumScope) must(t *testing.T, n sdInstance, args ...string) string {
	t.Helper()
	out, err := c.run(n, args...)
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (c colosseumScope) systemctl(args ...string) []string {
	if c.user != nil {
		return append([]string{"systemctl", "--user"}, args...)
	}
	return append([]string{"systemctl"}, args...)
}

func (c colosseumScope) berth(args ...string) []string {
	if c.user != nil {
		return append([]string{berthInner, args[0], "--user"}, args[1:]...)
	}
	return append([]string{berthInner}, args...)
}

// agentSays is the agent's answer to GET / from inside the instance (the
// port is published on the instance's loopback, by rootlessport/pasta for a
// user; it has no curl, bash has /dev/tcp).
func agentSays(n sdInstance) (string, error) {
	return n.exec("bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/8000 && printf 'GET / HTTP/1.0\r\nHost: localhost\r\n\r\n' >&3 && timeout 5 cat <&3`)
}

// waitDatabaseReachable waits until the agent answers that PostgreSQL is
// reachable.
func waitDatabaseReachable(t *testing.T, n sdInstance, c colosseumScope, within time.Duration) {
	t.Helper()
	t0 := time.Now()
	var last string
	for time.Since(t0) < within {
		out, _ := agentSays(n)
		if strings.Contains(out, `"database":"reachable"`) {
			t.Logf("the agent reaches the database (%.1fs): %s", time.Since(t0).Seconds(), strings.TrimSpace(out[strings.LastIndex(out, "\n{")+1:]))
			return
		}
		last = out
		time.Sleep(250 * time.Millisecond)
	}
	st, _ := c.run(n, c.systemctl("status", "--no-pager", "colosseum-agent.service", "colosseum-db.service")...)
	t.Fatalf("the agent did not report the database reachable within %s; last answer:\n%s\n%s", within, last, st)
}

func unitProp(n sdInstance, c colosseumScope, unit, prop string) string {
	out, _ := c.run(n, c.systemctl("show", "-p", prop, "--value", unit)...)
	return strings.TrimSpace(out)
}

func TestSystemdColosseum(t *testing.T) {
	forEachHost(t, func(t *testing.T, h sdHost) { testColosseum(t, h, false) })
}

func TestSystemdColosseumUser(t *testing.T) {
	// Not on bookworm: podman 4.3.1 cannot keep rootless containers in a
	// user service there (TestSystemdUserInstall/bookworm measures why).
	onSid(t, "the user scope with rootless containers runs there", func(t *testing.T, h sdHost) { testColosseum(t, h, true) })
}

func testColosseum(t *testing.T, h sdHost, userScope bool) {
	if os.Getenv("BERTH_E2E_PG") == "0" {
		t.Skip("BERTH_E2E_PG=0: the real Colosseum stack needs " + pgImage + " (scripts/build-test-images.sh --pg)")
	}
	needImages(t, "scripts/build-test-images.sh --pg", pgImage)
	tAll := time.Now()
	store, shared := hostImageStore()
	shared = shared && !userScope
	var nspawnArgs []string
	if shared {
		nspawnArgs = append(nspawnArgs, "--bind-ro="+store+":"+innerHostStore)
	}
	n := bootSystemd(t, h, colosseumInstance, nspawnArgs...)
	c := systemScope
	if userScope {
		u := addUser(t, n, userName, 100000)
		c = colosseumScope{user: &u, checkout: "/home/" + u.name + "/berth",
			genDir:   "/run/user/" + strconv.Itoa(u.uid) + "/systemd/generator",
			stackDir: "/home/" + u.name + "/.config/containers/systemd/colosseum"}
		loadUserImages(t, u, pgImage)
	} else {
		useImages(t, n, shared, pgImage)
	}

	t0 := time.Now()
	installBerth(t, n)
	t.Logf("berth built and copied in %.1fs", time.Since(t0).Seconds())
	t0 = time.Now()
	copyExamples(t, n, c.checkout)
	if c.user != nil {
		n.mustExec("chown", "-R", c.user.name+":"+c.user.name, c.checkout)
	}
	t.Logf("agent binary built, examples/colosseum and examples/agent copied to %s/examples in %.1fs", c.checkout, time.Since(t0).Seconds())
	t0 = time.Now()
	c.must(t, n, "sh", "-c", "head -c 18 /dev/urandom | base64 | tr -d '\\n/+=' | podman secret create colosseum-db-password - >/dev/null")
	t.Logf("podman secret colosseum-db-password created in %.1fs", time.Since(t0).Seconds())

	// As a user would type it, from the checkout.
	t0 = time.Now()
	install := strings.Join(c.berth("install", "--now", "examples/colosseum"), " ")
	out, err := c.run(n, "sh", "-c", `cd "$1" && exec `+install, "sh", c.checkout)
	t.Logf("%s took %.1fs:\n%s", install, time.Since(t0).Seconds(), out)
	if err != nil {
		st, _ := c.run(n, c.systemctl("status", "--no-pager", "--lines=30", "colosseum-*")...)
		t.Fatalf("install: %v\n%s", err, st)
	}
	if want := "SetWorkingDirectory=../agent -> " + c.checkout + "/examples/agent"; !strings.Contains(out, want) {
		t.Errorf("install output lacks %q", want)
	}
	berthLink := "/etc/systemd/system-generators/berth-system-generator"
	if userScope {
		berthLink = "/etc/systemd/user-generators/berth-user-generator"
	}
	checkGeneratorChoice(t, n, out, c.genDir+"/colosseum-db.service", berthLink)
	if h.sid() {
		if userScope {
			checkQuadletListAgrees(t, c.user.exec, c.stackDir, "--user")
		} else {
			checkQuadletListAgrees(t, n.exec, c.stackDir)
		}
	}

	// Every long-running service is active; the build is a oneshot that
	// exited successfully (no RemainAfterExit, as podman's quadlet).
	if got, err := c.run(n, c.systemctl("is-active", "colosseum-network.service", "colosseum-db-data-volume.service", "colosseum-db.service", "colosseum-agent.service")...); err != nil || got != strings.Repeat("active\n", 4) {
		t.Fatalf("is-active: %v %q", err, got)
	}
	if r, code := unitProp(n, c, "colosseum-agent-build.service", "Result"), unitProp(n, c, "colosseum-agent-build.service", "ExecMainStatus"); r != "success" || code != "0" {
		t.Errorf("colosseum-agent-build.service: Result=%s ExecMainStatus=%s", r, code)
	}
	if st, err := c.run(n, c.systemctl("status", "--no-pager", "colosseum-db.service", "colosseum-agent.service")...); err != nil || strings.Count(st, "Active: active (running)") != 2 {
		t.Errorf("systemctl status: %v\n%s", err, st)
	}
	if st, err := c.run(n, c.berth("status", "colosseum")...); err != nil {
		t.Errorf("berth status colosseum: %v\n%s", err, st)
	}
	// bookworm: compiled by berth for 4.3.1, Notify=healthy is conmon's
	// notification plus a health loop that holds the dependants back. sid:
	// podman 5.8's generator, which has --sdnotify=healthy itself.
	unit := n.mustExec("cat", c.genDir+"/colosseum-db.service")
	wants := []string{"--sdnotify=conmon", "ExecStartPost=", "n='colosseum-db' p=/usr/bin/podman", "container inspect --format '{{.State.Status}} {{.State.Health.Status}}'", "--secret colosseum-db-password,type=env,target=POSTGRES_PASSWORD"}
	if h.sid() {
		wants = []string{"--sdnotify=healthy", "--secret colosseum-db-password,type=env,target=POSTGRES_PASSWORD"}
	}
	for _, want := range wants {
		if !strings.Contains(unit, want) {
			t.Errorf("generated colosseum-db.service lacks %q:\n%s", want, unit)
		}
	}

	// systemd itself accepts every unit generated.
	t0 = time.Now()
	verify, err := c.run(n, "sh", "-c", "cd \"$1\" && systemd-analyze "+map[bool]string{true: "--user ", false: ""}[userScope]+"verify colosseum-*.service", "sh", c.genDir)
	t.Logf("systemd-analyze verify %s/colosseum-*.service: %.1fs", c.genDir, time.Since(t0).Seconds())
	if err != nil || strings.TrimSpace(verify) != "" {
		t.Errorf("systemd-analyze verify is not clean: %v\n%s", err, verify)
	}

	waitDatabaseReachable(t, n, c, 30*time.Second)

	// Kill PostgreSQL: systemd restarts it (Restart=always); the agent,
	// which Requires= it, is stopped and started with it and reaches it again.
	restarts0, _ := strconv.Atoi(unitProp(n, c, "colosseum-db.service", "NRestarts"))
	t0 = time.Now()
	c.must(t, n, "podman", "kill", "colosseum-db")
	for {
		k, _ := strconv.Atoi(unitProp(n, c, "colosseum-db.service", "NRestarts"))
		db, agent := unitProp(n, c, "colosseum-db.service", "ActiveState"), unitProp(n, c, "colosseum-agent.service", "ActiveState")
		if k > restarts0 && db == "active" && agent == "active" {
			t.Logf("systemd restarted the killed colosseum-db in %.1fs (NRestarts=%d); colosseum-agent active again", time.Since(t0).Seconds(), k)
			break
		}
		if time.Since(t0) > 90*time.Second {
			st, _ := c.run(n, c.systemctl("status", "--no-pager", "colosseum-db.service", "colosseum-agent.service")...)
			t.Fatalf("colosseum-db.service not restarted within 90s (NRestarts=%d, db %s, agent %s):\n%s", k, db, agent, st)
		}
		time.Sleep(250 * time.Millisecond)
	}
	waitDatabaseReachable(t, n, c, 30*time.Second)

	t0 = time.Now()
	out = c.must(t, n, c.berth("uninstall", "colosseum")...)
	t.Logf("berth uninstall colosseum took %.1fs:\n%s", time.Since(t0).Seconds(), out)
	if userScope {
		checkColosseumUserLeft(t, *c.user)
	} else {
		checkNothingLeft(t, n)
	}
	// The volume kept is PostgreSQL's data, not an empty shell.
	mp := strings.TrimSpace(c.must(t, n, "podman", "volume", "inspect", "--format", "{{.Mountpoint}}", "colosseum-db-data"))
	if _, err := c.run(n, "sh", "-c", "podman unshare test -f \"$1\"/PG_VERSION || test -f \"$1\"/PG_VERSION", "sh", mp); err != nil {
		t.Errorf("the kept volume colosseum-db-data holds no PostgreSQL cluster (%s/PG_VERSION)", mp)
	}
	t.Logf("whole Colosseum systemd test on %s (%s scope): %.1fs", h.name, map[bool]string{true: "user", false: "system"}[userScope], time.Since(tAll).Seconds())
}

// checkColosseumUserLeft: after `berth uninstall --user colosseum` nothing
// of the stack is left in the user's folders, podman or manager.
func checkColosseumUserLeft(t *testing.T, u sdUser) {
	t.Helper()
	if _, err := u.n.exec("test", "-e", "/home/"+u.name+"/.config/containers/systemd/colosseum"); err == nil {
		t.Errorf("uninstall left ~/.config/containers/systemd/colosseum")
	}
	if ps := u.must("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, "colosseum") {
		t.Errorf("containers left: %s", ps)
	}
	if nets := u.must("podman", "network", "ls", "--format", "{{.Name}}"); strings.Contains(nets, "colosseum") {
		t.Errorf("networks left: %s", nets)
	}
	if units, _ := u.exec("systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", "colosseum*"); strings.TrimSpace(units) != "" {
		t.Errorf("user units left:\n%s", units)
	}
}
