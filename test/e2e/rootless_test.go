//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rootlessUser is the non-root user this test creates (and removes).
const rootlessUser = "berth-e2e-rl"

// Issue 11: `runuser -l someuser -c 'berth up -d'` — a login shell without
// pam_systemd, so no XDG_RUNTIME_DIR and no /run/user/UID — failed with
// "mkdir /run/user/UID: permission denied" while podman itself falls back to
// its own folder. berth follows podman (4.3.1: $TMPDIR/podman-run-UID),
// says where its state went, and says the rootless stats failure once.
func TestRootlessWithoutXDGRuntimeDir(t *testing.T) {
	berth := stBerth(t)
	if _, err := os.Stat("/run/user"); err == nil {
		if _, err := os.Stat("/run/systemd/system"); err == nil {
			t.Skip("this host runs systemd: logins get /run/user/UID")
		}
	}
	u := addRootlessUser(t)
	bin := filepath.Join(u.home, "bin", "berth")
	u.install(berth, bin)
	// The user's own image store: rootless podman does not see root's.
	save := exec.Command("podman", "save", "localhost/berth-test/web:latest")
	img, err := save.Output()
	if err != nil {
		t.Fatalf("podman save: %v", err)
	}
	if out, err := u.runStdin(img, "podman load"); err != nil {
		t.Fatalf("podman load as %s: %v\n%s", u.name, err, out)
	}
	stack := filepath.Join(u.home, "rl")
	u.write(filepath.Join(stack, "web.container"), "[Container]\nImage=localhost/berth-test/web:latest\nContainerName=rl-web\n"+
		"Network=none\n") // slirp4netns needs /dev/net/tun, which this host denies non-root users

	out, err := u.run(fmt.Sprintf("cd %s && %s up -d --metrics-addr off --stats-interval 1s", stack, bin))
	t.Logf("berth up -d as %s (no XDG_RUNTIME_DIR):\n%s", u.name, out)
	if err != nil {
		t.Fatalf("berth up -d failed: %v", err)
	}
	state := fmt.Sprintf("/tmp/podman-run-%d/berth/rl", u.uid)
	if !strings.Contains(out, "XDG_RUNTIME_DIR is not set") || !strings.Contains(out, state) {
		t.Errorf("up -d does not say where its state went (%s)", state)
	}
	if _, err := os.Stat(filepath.Join(state, "state.json")); err != nil {
		entries, _ := os.ReadDir(state)
		t.Errorf("no state in %s: %v (%v)", state, err, entries)
	}
	ps, err := u.run(fmt.Sprintf("cd %s && %s ps", stack, bin))
	t.Logf("berth ps:\n%s", ps)
	if err != nil || !strings.Contains(ps, "rl-web") {
		t.Errorf("berth ps: %v", err)
	}
	// Ten stats intervals: the rootless stats failure is said once at most.
	time.Sleep(10 * time.Second)
	log, _ := os.ReadFile(filepath.Join(state, "supervisor.log"))
	t.Logf("supervisor.log:\n%s", log)
	if n := strings.Count(string(log), "stats: "); n > 1 {
		t.Errorf("the supervisor said the stats failure %d times", n)
	}
	if out, err := u.run(fmt.Sprintf("cd %s && %s down", stack, bin)); err != nil {
		t.Errorf("berth down: %v\n%s", err, out)
	}
}

type rlUser struct {
	t    *testing.T
	name string
	uid  int
	home string
}

// addRootlessUser creates the test user with subordinate ids (for rootless
// podman's user namespace) and removes it, its processes and its files at
// the end.
func addRootlessUser(t *testing.T) rlUser {
	t.Helper()
	if _, err := exec.LookPath("newuidmap"); err != nil {
		t.Skip("rootless podman needs newuidmap (apt-get install uidmap)")
	}
	if exec.Command("id", rootlessUser).Run() == nil {
		t.Fatalf("user %s exists: a previous run did not clean up; userdel -r %s", rootlessUser, rootlessUser)
	}
	for _, c := range [][]string{
		{"useradd", "-m", "-s", "/bin/sh", rootlessUser},
		{"usermod", "--add-subuids", "400000-465535", "--add-subgids", "400000-465535", rootlessUser},
	} {
		if out, err := exec.Command(c[0], c[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c, " "), err, out)
		}
	}
	out, _ := exec.Command("id", "-u", rootlessUser).Output()
	uid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	u := rlUser{t: t, name: rootlessUser, uid: uid, home: "/home/" + rootlessUser}
	t.Cleanup(func() { u.remove() })
	return u
}

// remove ends the user's processes (podman's pause process, conmon, the
// supervisor), found by owner, each by its PID, then deletes the user, its
// home and podman's folders in /tmp.
func (u rlUser) remove() {
	for round := 0; round < 2; round++ {
		for _, pid := range pidsOf(u.uid) {
			sig := syscall.SIGTERM
			if round == 1 {
				sig = syscall.SIGKILL
			}
			_ = syscall.Kill(pid, sig)
		}
		time.Sleep(time.Second)
	}
	// Rootless podman's store holds files owned by subordinate ids.
	_ = exec.Command("runuser", "-u", u.name, "--", "podman", "unshare", "rm", "-rf", u.home+"/.local/share/containers").Run()
	for _, pid := range pidsOf(u.uid) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	if out, err := exec.Command("userdel", "-r", u.name).CombinedOutput(); err != nil {
		u.t.Logf("userdel -r %s: %v\n%s", u.name, err, out)
	}
	for _, d := range []string{fmt.Sprintf("/tmp/podman-run-%d", u.uid), fmt.Sprintf("/tmp/storage-run-%d", u.uid),
		fmt.Sprintf("/tmp/containers-user-%d", u.uid), fmt.Sprintf("/tmp/run-%d", u.uid)} {
		_ = os.RemoveAll(d)
	}
}

// pidsOf lists the processes whose real uid is uid.
func pidsOf(uid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "Uid:" && f[1] == strconv.Itoa(uid) {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// run runs a shell command line as the user in a login shell, the way
// `runuser -l USER -c CMD` does: no XDG_RUNTIME_DIR. Output goes to a
// file: rootless podman leaves processes holding a pipe open.
func (u rlUser) run(cmd string) (string, error) { return u.runStdin(nil, cmd) }

func (u rlUser) runStdin(stdin []byte, cmd string) (string, error) {
	f, err := os.CreateTemp("", "berth-e2e-rl-out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c := exec.Command("runuser", "-l", u.name, "-c", cmd)
	c.Stdout, c.Stderr = f, f
	if stdin != nil {
		c.Stdin = bytes.NewReader(stdin)
	}
	err = c.Run()
	out, _ := os.ReadFile(f.Name())
	return string(out), err
}

func (u rlUser) write(path, content string) {
	u.t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		u.t.Fatal(err)
	}
	u.chown(filepath.Dir(path))
	u.chown(path)
}

func (u rlUser) install(src, dst string) {
	u.t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		u.t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		u.t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o755); err != nil {
		u.t.Fatal(err)
	}
	u.chown(filepath.Dir(dst))
	u.chown(dst)
}

func (u rlUser) chown(p string) {
	if err := os.Chown(p, u.uid, u.uid); err != nil {
		u.t.Fatal(err)
	}
}
