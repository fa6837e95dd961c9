//go:build e2e

package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The systemd e2e runs on two test hosts, one after the other, each booted
// from its own rootfs by scripts/nspawn.sh (scripts/build-systemd-rootfs.sh
// builds both):
//
//   - bookworm: podman 4.3.1 (no quadlet generator: berth is it), systemd 252
//   - sid: podman 5.8 with its own /usr/libexec/podman/quadlet, systemd 26x,
//     booted with the unified cgroup hierarchy (cgroup v2), crun, pasta,
//     and a lingering user "alice" with subordinate ids
//
// Every TestSystemd* test runs its host parts as subtests named by the host
// (forEachHost, onSid, onBookworm), and TestSidExecutor's is named "sid":
// scripts/test.sh runs the e2e host by host with -run 'TestSystemd/^bookworm$'
// and -run '(TestSystemd|TestSidExecutor)/^sid$', so a TestSystemd* test
// without such a subtest would run in both.
//
// BERTH_E2E_SID=1 (scripts/test.sh sets it after building the sid rootfs)
// makes a missing sid rootfs a failure, not a skip: the user scope with
// rootless containers runs only there.

// sdHost is one test host: a rootfs nspawn.sh boots.
type sdHost struct {
	name   string // "bookworm" or "sid"
	rootfs string
}

// sid reports whether the host is the podman 5.8 / systemd 26x one.
func (h sdHost) sid() bool { return h.name == "sid" }

func bookwormRootfs() string {
	if r := os.Getenv("BERTH_NSPAWN_ROOTFS"); r != "" {
		return r
	}
	return "/var/cache/berth/nspawn-rootfs"
}

func sidRootfs() string {
	if r := os.Getenv("BERTH_SID_ROOTFS"); r != "" {
		return r
	}
	return "/var/cache/berth/sid-rootfs"
}

func hasRootfs(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, ".berth-recipe"))
	return err == nil
}

// sdHosts are the hosts whose rootfs is built, bookworm first. A host that
// is missing is logged with the reason; none at all skips the test.
func sdHosts(t *testing.T) []sdHost {
	t.Helper()
	needSystemd(t)
	var hosts []sdHost
	if hasRootfs(bookwormRootfs()) {
		hosts = append(hosts, sdHost{name: "bookworm", rootfs: bookwormRootfs()})
	} else {
		t.Logf("no bookworm host: no rootfs at %s (scripts/build-systemd-rootfs.sh builds it)", bookwormRootfs())
	}
	switch {
	case hasRootfs(sidRootfs()):
		hosts = append(hosts, sdHost{name: "sid", rootfs: sidRootfs()})
	case os.Getenv("BERTH_E2E_SID") == "1":
		t.Fatalf("BERTH_E2E_SID=1 but no sid rootfs at %s: build it with scripts/build-systemd-rootfs.sh --suite sid", sidRootfs())
	default:
		t.Logf("no sid host: no rootfs at %s (scripts/build-systemd-rootfs.sh --suite sid builds it)", sidRootfs())
	}
	if len(hosts) == 0 {
		t.Skipf("no systemd rootfs at %s nor %s: build them with scripts/build-systemd-rootfs.sh [--suite sid] (scripts/test.sh does)", bookwormRootfs(), sidRootfs())
	}
	return hosts
}

// onSid runs f as a subtest on the sid host only (tests of what only that
// host has: podman 5.8 rootless under a user manager, ...); why is logged.
func onSid(t *testing.T, why string, f func(t *testing.T, h sdHost)) {
	for _, h := range sdHosts(t) {
		if h.sid() {
			t.Run(h.name, func(t *testing.T) { f(t, h) })
			return
		}
	}
	t.Skipf("no sid host (scripts/build-systemd-rootfs.sh --suite sid builds it): %s", why)
}

// onBookworm runs f as a subtest on the bookworm host only (what only
// podman 4.3.1 and systemd 252 have, or what one host measures well
// enough); why is said when it is skipped.
func onBookworm(t *testing.T, why string, f func(t *testing.T, h sdHost)) {
	needSystemd(t)
	if !hasRootfs(bookwormRootfs()) {
		t.Skipf("no bookworm rootfs at %s (scripts/build-systemd-rootfs.sh builds it): %s", bookwormRootfs(), why)
	}
	h := sdHost{name: "bookworm", rootfs: bookwormRootfs()}
	t.Run(h.name, func(t *testing.T) { f(t, h) })
}

// forEachHost runs f as a subtest per host, one after the other.
func forEachHost(t *testing.T, f func(t *testing.T, h sdHost)) {
	for _, h := range sdHosts(t) {
		t.Run(h.name, func(t *testing.T) { f(t, h) })
	}
}

// hostVersions is "podman X, systemd Y, cgroup Z" as seen inside n.
func hostVersions(n sdInstance) string {
	out, _ := n.exec("sh", "-c", `printf 'podman %s, systemd %s, %s' "$(podman version --format '{{.Client.Version}}')" "$(systemctl --version | awk 'NR==1{print $2}')" "$(stat -fc %T /sys/fs/cgroup)"`)
	return strings.TrimSpace(out)
}

// checkGeneratorChoice checks who compiled the stack: on bookworm (podman
// 4.3.1, no generator) berth, through its generator link; on sid podman
// 5.8's own generator, with no berth link beside it (one generator, one unit
// per file). unit is a generated service of the stack.
func checkGeneratorChoice(t *testing.T, n sdInstance, installOut, unit, berthLink string) {
	t.Helper()
	head, err := n.exec("head", "-3", unit)
	if err != nil {
		t.Fatalf("no generated %s: %v\n%s", unit, err, head)
	}
	if !n.host.sid() {
		if !strings.Contains(installOut, "berth is the quadlet generator") {
			t.Errorf("install output does not say berth is the generator")
		}
		if link, _ := n.exec("readlink", berthLink); strings.TrimSpace(link) != generatorInner {
			t.Errorf("generator link %s -> %q, want %s", berthLink, link, generatorInner)
		}
		if !strings.Contains(head, "berth") {
			t.Errorf("%s was not written by berth's generator:\n%s", unit, head)
		}
		return
	}
	if !strings.Contains(installOut, "quadlet generator compiles the stack") {
		t.Errorf("install output does not say podman's generator compiles the stack")
	}
	if strings.Contains(installOut, "berth is the quadlet generator") {
		t.Errorf("berth made itself the generator beside podman 5.8's")
	}
	if out, err := n.exec("test", "-e", berthLink); err == nil {
		t.Errorf("berth's generator link %s exists beside podman's generator %s", berthLink, out)
	}
	if !strings.Contains(head, "podman-") || !strings.Contains(head, "-generator") {
		t.Errorf("%s was not written by podman's generator:\n%s", unit, head)
	}
}

// checkQuadletListAgrees checks that `podman quadlet list` and `berth list`
// (run through run, as root or as a user; berthArgs adds e.g. --user) name
// the same files and units for the stack installed in stackDir.
func checkQuadletListAgrees(t *testing.T, run func(args ...string) (string, error), stackDir string, berthArgs ...string) {
	t.Helper()
	out, err := run("podman", "quadlet", "list", "--format", "json")
	if err != nil {
		t.Fatalf("podman quadlet list: %v\n%s", err, out)
	}
	var pq []struct {
		Name, UnitName, Path, Status string
	}
	if err := json.Unmarshal([]byte(jsonPart(out)), &pq); err != nil {
		t.Fatalf("podman quadlet list --format json: %v\n%s", err, out)
	}
	podmanSays := map[string]string{}
	for _, q := range pq {
		if strings.HasPrefix(q.Path, stackDir+"/") {
			podmanSays[q.Path] = q.UnitName
		}
	}
	out, err = run(append([]string{berthInner, "list", "--json"}, berthArgs...)...)
	if err != nil {
		t.Fatalf("berth list --json: %v\n%s", err, out)
	}
	var stacks []struct {
		Stack string `json:"stack"`
		Units []struct {
			Service string `json:"service"`
			Source  string `json:"source"`
		} `json:"units"`
	}
	if err := json.Unmarshal([]byte(jsonPart(out)), &stacks); err != nil {
		t.Fatalf("berth list --json: %v\n%s", err, out)
	}
	berthSays := map[string]string{}
	for _, st := range stacks {
		for _, u := range st.Units {
			if strings.HasPrefix(u.Source, stackDir+"/") {
				berthSays[u.Source] = u.Service
			}
		}
	}
	if len(berthSays) == 0 || !reflect.DeepEqual(podmanSays, berthSays) {
		t.Errorf("podman quadlet list and berth list disagree on %s:\npodman: %v\nberth:  %v", stackDir, podmanSays, berthSays)
		return
	}
	t.Logf("podman quadlet list and berth list agree on %d files of %s", len(berthSays), stackDir)
}

// jsonPart drops anything printed before the JSON (a warning on stderr).
func jsonPart(s string) string {
	if i := strings.IndexAny(s, "[{"); i > 0 {
		return s[i:]
	}
	return s
}

// bookwormHost is the bookworm host alone, for tests that have not been
// run on sid yet; it skips the test when its rootfs is missing.
func bookwormHost(t *testing.T) sdHost {
	t.Helper()
	needSystemd(t)
	if !hasRootfs(bookwormRootfs()) {
		t.Skipf("no systemd rootfs at %s: build it with scripts/build-systemd-rootfs.sh (scripts/test.sh does)", bookwormRootfs())
	}
	return sdHost{name: "bookworm", rootfs: bookwormRootfs()}
}

// checkBerthVersion checks that `berth version` reports the podman, systemd
// and cgroup versions the instance has, measured here another way.
func checkBerthVersion(t *testing.T, n sdInstance) {
	t.Helper()
	out := n.mustExec(berthInner, "version")
	pv := strings.TrimSpace(n.mustExec("podman", "version", "--format", "{{.Client.Version}}"))
	sv := strings.Fields(n.mustExec("systemctl", "--version"))
	cg := "cgroup v1"
	if strings.TrimSpace(n.mustExec("stat", "-fc", "%T", "/sys/fs/cgroup")) == "cgroup2fs" {
		cg = "cgroup v2"
	}
	for _, want := range []string{"host: podman " + pv + " ", "systemd " + sv[1] + " ", cg} {
		if !strings.Contains(out, want) {
			t.Errorf("berth version lacks %q:\n%s", want, out)
		}
	}
	t.Logf("berth version on %s:\n%s", n.host.name, out)
}
