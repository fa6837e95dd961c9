//go:build e2e

package e2e

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// `berth install --user --now` by a real non-root user under systemd: a user
// with linger (user@UID.service runs without a login), rootless podman 4.3.1
// (newuidmap, slirp4netns, the user's own image store), and no write access
// to /etc. systemd runs user generators only from /run, /etc, /usr/local/lib
// and /usr/lib systemd/user-generators (no per-user folder), so such a user
// cannot make berth the user generator: berth compiles the services into
// ~/.config/systemd/user instead. A second user then gets the generator
// link that root made in /etc/systemd/user-generators, which the user
// manager runs at daemon-reload into /run/user/UID/systemd/generator.

const (
	userInstance = "berth-e2e-user"
	userName     = "alice"
	userStack    = "/home/alice/stacks/mini" // the stack's folder, owned by the user
)

var userMini = map[string]string{
	"mini.network":      "[Network]\nNetworkName=mini-net\n",
	"mini-data.volume":  "[Volume]\nVolumeName=mini-data\n",
	"mini-kv.container": "[Container]\nContainerName=mini-kv\nImage=localhost/berth-test/kv:latest\nNetwork=mini.network\nVolume=mini-data.volume:/data\n[Service]\nRestart=always\n[Install]\nWantedBy=default.target\n",
	"mini-web.container": "[Unit]\nRequires=mini-kv.container\nAfter=mini-kv.container\n[Container]\nContainerName=mini-web\nImage=localhost/berth-test/web:latest\nNetwork=mini.network\n" +
		"[Service]\nRestart=always\nRestartSec=1\n[Install]\nWantedBy=default.target\n",
}

var userMiniServices = []string{"mini-network.service", "mini-data-volume.service", "mini-kv.service", "mini-web.service"}

// sdUser runs commands in the instance as a non-root user with a user manager.
type sdUser struct {
	n    sdInstance
	name string
	uid  int
}

func (u sdUser) argv(args ...string) []string {
	rt := "/run/user/" + strconv.Itoa(u.uid)
	return append([]string{"runuser", "-u", u.name, "--", "env", "HOME=/home/" + u.name, "USER=" + u.name,
		"XDG_RUNTIME_DIR=" + rt, "DBUS_SESSION_BUS_ADDRESS=unix:path=" + rt + "/bus",
		"sh", "-c", `cd "$HOME" && exec "$@"`, "sh"}, args...)
}

// exec runs a command as the user. Its output goes to a file, not a pipe:
// the first rootless podman command leaves a pause process (and podman run
// slirp4netns) behind holding its stdout, so reading a pipe to EOF would
// never end.
func (u sdUser) exec(args ...string) (string, error) { return u.execIn(nil, args...) }

func (u sdUser) execIn(stdin io.Reader, args ...string) (string, error) {
	f, err := os.CreateTemp(u.n.t.TempDir(), "out")
	if err != nil {
		return "", err
	}
	defer f.Close()
	cmd := u.n.cmd(append([]string{"exec"}, u.argv(args...)...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, f, f
	err = cmd.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

func (u sdUser) must(args ...string) string {
	u.n.t.Helper()
	out, err := u.exec(args...)
	if err != nil {
		u.n.t.Fatalf("as %s: %s: %v\n%s", u.name, strings.Join(args, " "), err, out)
	}
	return out
}

// addUser creates a user with subordinate ids, turns lingering on and waits
// for its user manager and bus.
func addUser(t *testing.T, n sdInstance, name string, subStart int) sdUser {
	t.Helper()
	t0 := time.Now()
	if _, err := n.exec("id", "-u", name); err != nil { // the sid rootfs has alice already
		n.mustExec("useradd", "-m", "-s", "/bin/sh", name)
	}
	// Debian's useradd allocates subordinate ids itself (SUB_UID_MIN...);
	// a second, overlapping range makes newuidmap fail.
	ids := name + ":" + strconv.Itoa(subStart) + ":65536\n"
	n.mustExec("sh", "-c", `for f in /etc/subuid /etc/subgid; do grep -q "^$2:" $f || printf %s "$1" >>$f; done`, "sh", ids, name)
	uid, err := strconv.Atoi(strings.TrimSpace(n.mustExec("id", "-u", name)))
	if err != nil {
		t.Fatal(err)
	}
	// The sid rootfs has it on already (its loginctl enable-linger fails
	// under nspawn.sh exec: "Protocol driver not attached").
	if _, err := n.exec("test", "-e", "/var/lib/systemd/linger/"+name); err != nil {
		n.mustExec("loginctl", "enable-linger", name)
	}
	u := sdUser{n: n, name: name, uid: uid}
	bus := "/run/user/" + strconv.Itoa(uid) + "/bus"
	for time.Since(t0) < 30*time.Second {
		st, _ := n.exec("systemctl", "is-active", "user@"+strconv.Itoa(uid)+".service")
		if _, err := n.exec("test", "-S", bus); err == nil && strings.TrimSpace(st) == "active" {
			t.Logf("user %s (uid %d): user manager and bus up in %.1fs", name, uid, time.Since(t0).Seconds())
			return u
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, _ := n.exec("systemctl", "status", "--no-pager", "user@"+strconv.Itoa(uid)+".service")
	t.Fatalf("user@%d.service did not come up with %s within 30s:\n%s", uid, bus, st)
	return u
}

// loadUserImages copies the host's images into the user's rootless store
// (nspawn.sh load --user: `podman save` cached by image ID, loaded from a
// file, never a pipe the user's pause process would keep open).
func loadUserImages(t *testing.T, u sdUser, images ...string) {
	t.Helper()
	t0 := time.Now()
	u.n.must(append([]string{"load", "--user", u.name}, images...)...)
	t.Logf("images loaded into %s's rootless store in %.1fs", u.name, time.Since(t0).Seconds())
}

// rootlessProblem is why rootless podman cannot run a container with a
// user-defined network here, "" when it can.
func rootlessProblem(u sdUser) string {
	if _, err := u.exec("podman", "network", "create", "probe-net"); err != nil {
		return "podman network create as a user fails"
	}
	defer u.exec("podman", "network", "rm", "-f", "probe-net")
	out, err := u.exec("podman", "run", "-d", "--name", "probe", "--network", "probe-net", "localhost/berth-test/kv:latest")
	u.exec("podman", "rm", "-f", "-t", "0", "probe")
	if err != nil {
		if i := strings.Index(out, "Error:"); i >= 0 {
			out = out[i:]
		}
		return strings.TrimSpace(out)
	}
	return ""
}

// cgroupProblem is why rootless podman 4.3 cannot keep a quadlet container
// in its service here, "" when it can. On a cgroup v1 hybrid host
// /proc/self/cgroup lists the v1 hierarchies too, even in the instance's
// unified hierarchy; podman 4.3's UserOwnsCurrentSystemdCgroup checks every
// line of it in cgroup v2 mode, finds the root-owned v1 roots, and moves
// rootless podman into a transient podman-PID.scope: conmon leaves
// the Type=notify service, which systemd then sees exit and stops.
// podman 5 checks only the unified line and keeps conmon in the service.
func cgroupProblem(u sdUser) string {
	if v, _ := u.exec("podman", "version", "--format", "{{.Client.Version}}"); !strings.HasPrefix(strings.TrimSpace(v), "4.") {
		return ""
	}
	out, err := u.exec("systemd-run", "--user", "--wait", "--pipe", "-q", "cat", "/proc/self/cgroup")
	if err != nil {
		return "systemd-run --user failed: " + strings.TrimSpace(out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) > 1 {
		return fmt.Sprintf("in a user service /proc/self/cgroup lists %d hierarchies (cgroup v1 hybrid host: %q), so podman 4.3 believes rootless it does not own its cgroup and moves itself into a podman-PID.scope; conmon leaves the Type=notify service, which systemd stops at once", len(lines), lines[0])
	}
	return ""
}

func writeUserStack(t *testing.T, n sdInstance, u sdUser) {
	t.Helper()
	src := t.TempDir()
	for name, content := range userMini {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		n.must("cp", p, filepath.Join(userStack, name))
	}
	n.mustExec("chown", "-R", u.name+":"+u.name, "/home/"+u.name+"/stacks")
}

func TestSystemdUserInstall(t *testing.T) {
	forEachHost(t, testSystemdUserInstall)
}

// testSystemdUserInstall: on bookworm (podman 4.3.1, no user generator)
// alice cannot make berth the user generator, so berth compiles the services
// into ~/.config/systemd/user; on sid podman 5.8's user generator compiles
// the installed files at the user manager's daemon-reload. Rootless
// containers must run on sid: a problem there fails the test.
func testSystemdUserInstall(t *testing.T, h sdHost) {
	images := []string{"localhost/berth-test/kv:latest", "localhost/berth-test/web:latest", "localhost/berth-test/client:latest"}
	needImages(t, "scripts/build-test-images.sh", images...)
	tStart := time.Now()
	n := bootSystemd(t, h, userInstance)
	if _, err := n.exec("test", "-x", "/usr/bin/newuidmap"); err != nil {
		t.Fatal("the systemd rootfs predates rootless podman (no newuidmap): rebuild it with scripts/build-systemd-rootfs.sh")
	}
	installBerth(t, n)
	u := addUser(t, n, userName, 100000)
	loadUserImages(t, u, images...)
	if why := rootlessProblem(u); why != "" {
		if h.sid() {
			t.Fatalf("rootless podman cannot run a container on a user network on %s: %s", h.name, why)
		}
		t.Skipf("rootless podman cannot run a container on a user network in this nspawn instance: %s", why)
	}
	writeUserStack(t, n, u)
	containersOK := true
	if why := cgroupProblem(u); why != "" {
		if h.sid() {
			t.Fatalf("rootless containers cannot run under the user manager on %s: %s", h.name, why)
		}
		containersOK = false
		t.Logf("SKIPPING the container part on %s (rootless containers under the user manager; the sid host runs it): %s", h.name, why)
	}

	// bookworm: alice cannot write /etc/systemd/user-generators, so berth
	// compiles; sid: podman's own user generator compiles.
	t0 := time.Now()
	out, err := u.exec(userInstallArgs(containersOK)...)
	t.Logf("%s took %.1fs:\n%s", strings.Join(userInstallArgs(containersOK), " "), time.Since(t0).Seconds(), out)
	if err != nil {
		t.Fatalf("install: %v\n%s", err, u.journal())
	}
	if strings.Contains(out, "no-linger") || strings.Contains(out, "lingering is off") {
		t.Errorf("linger warning although linger is on")
	}
	gen := "/run/user/" + strconv.Itoa(u.uid) + "/systemd/generator"
	if h.sid() {
		checkGeneratorChoice(t, n, out, gen+"/mini-kv.service", "/etc/systemd/user-generators/berth-user-generator")
		for _, s := range userMiniServices {
			if _, err := n.exec("test", "-e", "/home/alice/.config/systemd/user/"+s); err == nil {
				t.Errorf("%s compiled into ~/.config/systemd/user beside podman's generator: two units for one file", s)
			}
		}
		checkQuadletListAgrees(t, u.exec, "/home/alice/.config/containers/systemd/mini", "--user")
	} else {
		if !strings.Contains(out, "compiled the stack's services into /home/alice/.config/systemd/user") {
			t.Errorf("install does not say it compiled the services")
		}
		for _, s := range userMiniServices {
			if _, err := n.exec("test", "-f", "/home/alice/.config/systemd/user/"+s); err != nil {
				t.Errorf("%s was not compiled into ~/.config/systemd/user", s)
			}
		}
		if _, err := n.exec("test", "-L", "/home/alice/.config/systemd/user/default.target.wants/mini-web.service"); err != nil {
			t.Error("WantedBy=default.target link missing in ~/.config/systemd/user/default.target.wants")
		}
	}
	checkUserActive(t, u, containersOK)
	if !containersOK {
		out = u.must(berthInner, "uninstall", "--user", "mini")
		t.Logf("berth uninstall --user:\n%s", out)
		checkUserNothingLeft(t, u)
		checkAdminGenerator(t, u, containersOK)
		t.Skipf("rootless containers cannot run under the user manager in this %s nspawn instance: %s (everything else passed in %.1fs; the sid host runs them)", h.name, cgroupProblem(u), time.Since(tStart).Seconds())
	}
	ps := u.must("podman", "ps", "--format", "{{.Names}}")
	if !strings.Contains(ps, "mini-kv") || !strings.Contains(ps, "mini-web") {
		t.Errorf("rootless containers of %s: %q", u.name, ps)
	}
	if rootPS := n.mustExec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(rootPS, "mini") {
		t.Errorf("the stack runs in root's podman: %q", rootPS)
	}
	checkUserRestart(t, u)

	t0 = time.Now()
	out = u.must(berthInner, "uninstall", "--user", "mini")
	t.Logf("berth uninstall --user took %.1fs:\n%s", time.Since(t0).Seconds(), out)
	checkUserNothingLeft(t, u)
	checkAdminGenerator(t, u, containersOK)
	t.Logf("whole test on %s: %.1fs", h.name, time.Since(tStart).Seconds())
}

func userInstallArgs(now bool) []string {
	if now {
		return []string{berthInner, "install", "--user", "--now", userStack}
	}
	return []string{berthInner, "install", "--user", userStack}
}

// checkAdminGenerator: root makes berth every user's generator once; the
// user manager runs it at daemon-reload.
func checkAdminGenerator(t *testing.T, u sdUser, containersOK bool) {
	t.Helper()
	n := u.n
	n.mustExec("mkdir", "-p", "/etc/systemd/user-generators")
	n.mustExec("ln", "-s", berthInner, "/etc/systemd/user-generators/berth-user-generator")
	if n.host.sid() {
		// podman 5.8 has its own user generator: with only berth's link both
		// would compile the stack, which install refuses for a user who
		// cannot mask podman's.
		out, err := u.exec(userInstallArgs(false)...)
		if err == nil || !strings.Contains(out, "is not masked") {
			t.Errorf("install --user with berth's and podman's user generators both active: %v\n%s", err, out)
		}
		u.exec(berthInner, "uninstall", "--user", "mini")
		n.mustExec("ln", "-s", "/dev/null", "/etc/systemd/user-generators/podman-user-generator")
	}
	t0 := time.Now()
	out, err := u.exec(userInstallArgs(containersOK)...)
	t.Logf("%s (generator link in /etc) took %.1fs:\n%s", strings.Join(userInstallArgs(containersOK), " "), time.Since(t0).Seconds(), out)
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	if !strings.Contains(out, "berth is the quadlet generator: /etc/systemd/user-generators/berth-user-generator") {
		t.Errorf("install does not use the administrator's generator link")
	}
	gen := "/run/user/" + strconv.Itoa(u.uid) + "/systemd/generator"
	for _, s := range userMiniServices {
		if _, err := n.exec("test", "-f", gen+"/"+s); err != nil {
			t.Errorf("the user generator did not write %s/%s", gen, s)
		}
	}
	if head := n.mustExec("head", "-1", gen+"/mini-kv.service"); !strings.Contains(head, "berth-user-generator") {
		t.Errorf("%s/mini-kv.service not made by berth-user-generator: %q", gen, head)
	}
	if _, err := n.exec("test", "-e", "/home/alice/.config/systemd/user/mini-kv.service"); err == nil {
		t.Error("a compiled copy is left in ~/.config/systemd/user")
	}
	checkUserActive(t, u, containersOK)
	out = u.must(berthInner, "uninstall", "--user", "mini")
	t.Logf("berth uninstall --user:\n%s", out)
	checkUserNothingLeft(t, u)
	if strings.Contains(out, "permission denied") {
		t.Errorf("uninstall tried to remove what it did not make")
	}
	if link, _ := n.exec("readlink", "/etc/systemd/user-generators/berth-user-generator"); strings.TrimSpace(link) != berthInner {
		t.Errorf("uninstall removed the administrator's generator link (now %q)", link)
	}
	if n.host.sid() {
		if link, _ := n.exec("readlink", "/etc/systemd/user-generators/podman-user-generator"); strings.TrimSpace(link) != "/dev/null" {
			t.Errorf("uninstall removed the administrator's mask of podman's user generator (now %q)", link)
		}
	}
}

// journal is the user's units' recent journal (read as root).
func (u sdUser) journal() string {
	out, _ := u.n.exec("journalctl", "--no-pager", "-n", "80", "_UID="+strconv.Itoa(u.uid))
	return out
}

// checkUserActive checks that the stack's services are active; without
// containers it starts the oneshot network and volume services and checks
// those, and that the container services are loaded.
func checkUserActive(t *testing.T, u sdUser, containersOK bool) {
	t.Helper()
	svcs := userMiniServices
	if !containersOK {
		svcs = userMiniServices[:2]
		u.must(append([]string{"systemctl", "--user", "start"}, svcs...)...)
		if got := u.must("systemctl", "--user", "show", "-p", "LoadState", "--value", "mini-kv.service", "mini-web.service"); strings.Count(got, "loaded") != 2 {
			t.Errorf("container services not loaded: %q", got)
		}
	}
	got, err := u.exec(append([]string{"systemctl", "--user", "is-active"}, svcs...)...)
	if err != nil || got != strings.Repeat("active\n", len(svcs)) {
		st, _ := u.exec("systemctl", "--user", "status", "--no-pager", "mini-kv.service", "mini-web.service")
		t.Fatalf("systemctl --user is-active: %q %v\n%s", got, err, st)
	}
}

// checkUserRestart kills mini-web's container and waits for the user
// manager to restart it.
func checkUserRestart(t *testing.T, u sdUser) {
	t.Helper()
	u.must("podman", "kill", "mini-web")
	t0 := time.Now()
	for time.Since(t0) < 60*time.Second {
		restarts, _ := u.exec("systemctl", "--user", "show", "-p", "NRestarts", "--value", "mini-web.service")
		active, _ := u.exec("systemctl", "--user", "is-active", "mini-web.service")
		if k, _ := strconv.Atoi(strings.TrimSpace(restarts)); k >= 1 && strings.TrimSpace(active) == "active" {
			t.Logf("the user manager restarted the killed container in %.1fs (NRestarts=%d)", time.Since(t0).Seconds(), k)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	st, _ := u.exec("systemctl", "--user", "status", "--no-pager", "mini-web.service")
	t.Fatalf("mini-web.service not restarted within 60s:\n%s", st)
}

func checkUserNothingLeft(t *testing.T, u sdUser) {
	t.Helper()
	n := u.n
	for _, p := range []string{"/home/alice/.config/containers/systemd/mini", "/home/alice/.config/systemd/user/mini-kv.service",
		"/home/alice/.config/systemd/user/default.target.wants/mini-web.service"} {
		if _, err := n.exec("test", "-e", p); err == nil {
			t.Errorf("uninstall left %s", p)
		}
	}
	if _, err := u.exec("podman", "volume", "exists", "mini-data"); err != nil {
		t.Error("the volume mini-data was removed; uninstall must keep it")
	}
	if ps := u.must("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, "mini") {
		t.Errorf("containers left: %s", ps)
	}
	if nets := u.must("podman", "network", "ls", "--format", "{{.Name}}"); strings.Contains(nets, "mini") {
		t.Errorf("networks left: %s", nets)
	}
	if units, _ := u.exec("systemctl", "--user", "list-units", "--all", "--plain", "--no-legend", "mini*"); strings.TrimSpace(units) != "" {
		t.Errorf("user units left:\n%s", units)
	}
}
