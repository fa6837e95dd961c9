//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The executor e2e (berth up/down/ps/logs/exec/restart, health gating,
// restarts, volumes, compose projects: the tests below) on the sid host's
// podman 5.8, rootful and as its non-root user, run by this test binary
// itself inside a booted sid instance: berth and the e2e test binary are
// built (static) here, copied in, and run there with BERTH_E2E_BIN; the
// repository is bound read-only at its own path (the examples the tests
// read). On the host itself the same tests run against podman 4.3.1.
const executorTests = `^(TestStack|TestCompose|TestIsolate|TestSupervisor|TestForeground|TestUpRefused)`

const (
	sidExecInstance = "berth-e2e-exec"
	innerE2E        = "/usr/local/bin/berth-e2e.test"
)

var executorImages = []string{"localhost/berth-test/web:latest", "localhost/berth-test/kv:latest", "localhost/berth-test/client:latest"}

// buildStatic builds pkg (a command, or a test binary with -c) for the
// instance: static, so it runs on sid's libc.
func buildStatic(t *testing.T, out, verb string, args ...string) {
	t.Helper()
	args = append([]string{verb, "-o", out}, args...)
	cmd := exec.Command("go", args...)
	cmd.Dir, cmd.Env = sdRepoRoot(t), append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

var goTestLine = regexp.MustCompile(`(?m)^\s*--- (PASS|FAIL|SKIP): (\S+) \(([0-9.]+)s\)`)

// summarize counts the top-level and sub-test results of `go test -v`
// output and lists the failed and skipped ones (skips with their reason).
func summarize(out string) (string, int) {
	counts := map[string]int{}
	var notable []string
	for _, m := range goTestLine.FindAllStringSubmatch(out, -1) {
		counts[m[1]]++
		if m[1] != "PASS" {
			notable = append(notable, m[1]+" "+m[2])
		}
	}
	return fmt.Sprintf("%d passed, %d failed, %d skipped %v", counts["PASS"], counts["FAIL"], counts["SKIP"], notable), counts["PASS"]
}

func TestSidExecutor(t *testing.T) {
	// Not on bookworm: its podman 4.3.1 is the test machine's own, where
	// the same tests run directly.
	onSid(t, "the executor e2e on podman 5.8 runs there", testSidExecutor)
}

func testSidExecutor(t *testing.T, h sdHost) {
	needImages(t, "scripts/build-test-images.sh", executorImages...)
	tAll := time.Now()
	repo := sdRepoRoot(t)
	// One instance per scope: in one network namespace rootless pasta
	// copies the name of the rootful bridge (podman1, the only interface
	// besides lo under --private-network) for its tap, and the user's
	// netavark then fails ("bridge interface podman1 already exists but is
	// a Tun interface"), which a real host (eth0) never sees.
	n := bootSystemd(t, h, sidExecInstance+"-root", "--bind-ro="+repo+":"+repo)
	nu := bootSystemd(t, h, sidExecInstance+"-user", "--bind-ro="+repo+":"+repo)
	t0 := time.Now()
	bin := t.TempDir()
	buildStatic(t, filepath.Join(bin, "berth"), "build", "./cmd/berth")
	buildStatic(t, filepath.Join(bin, "e2e.test"), "test", "-c", "-tags", "e2e", "./test/e2e")
	for _, in := range []sdInstance{n, nu} {
		in.must("cp", filepath.Join(bin, "berth"), berthInner)
		in.must("cp", filepath.Join(bin, "e2e.test"), innerE2E)
	}
	t.Logf("berth and the e2e test binary built and copied in %.1fs", time.Since(t0).Seconds())

	env := []string{"BERTH_E2E_BIN=" + berthInner, "BERTH_REPO=" + repo, "BERTH_E2E_SYSTEMD=0"}
	args := []string{innerE2E, "-test.run", executorTests, "-test.v", "-test.count=1", "-test.timeout=20m"}
	if r := os.Getenv("BERTH_SID_EXECUTOR_RUN"); r != "" {
		args[2] = r
	}

	// Rootful and rootless at the same time, each in its own instance: the
	// tests mostly wait on health intervals and restarts, so this halves
	// the wall time on 2 cores.
	t.Run("scopes", func(t *testing.T) {
		t.Run("rootful", func(t *testing.T) {
			t.Parallel()
			n := n
			n.t = t // its failures are this subtest's
			t0 := time.Now()
			n.must(append([]string{"load"}, executorImages...)...)
			t.Logf("images loaded into root's store in %.1fs", time.Since(t0).Seconds())
			t0 = time.Now()
			_, err := n.exec(append([]string{"sh", "-c", `cd /root && exec "$@" >/root/e2e.log 2>&1`, "sh", "env"}, append(env, args...)...)...)
			out, _ := n.exec("cat", "/root/e2e.log")
			reportInner(t, "root", out, err, time.Since(t0))
		})
		t.Run("rootless", func(t *testing.T) {
			t.Parallel()
			n := nu
			n.t = t
			u := addUser(t, n, userName, 100000)
			loadUserImages(t, u, executorImages...)
			t0 := time.Now()
			// Output to a file: rootless podman's pause process would hold a pipe.
			_, err := u.exec(append([]string{"sh", "-c", `exec "$@" >"$HOME/e2e.log" 2>&1`, "sh", "env", "BERTH_E2E_ROOTLESS=1"}, append(env, args...)...)...)
			out, _ := u.exec("sh", "-c", "cat $HOME/e2e.log")
			reportInner(t, u.name, out, err, time.Since(t0))
		})
	})
	t.Logf("whole executor e2e on %s: %.1fs", h.name, time.Since(tAll).Seconds())
}

// reportInner logs an inner run's summary, fails on a failed run, and on a
// run that passed nothing (every test skipped hides the whole scope).
func reportInner(t *testing.T, who, out string, err error, took time.Duration) {
	t.Helper()
	sum, passed := summarize(out)
	t.Logf("executor e2e as %s on podman 5.8 in %.1fs: %s", who, took.Seconds(), sum)
	if err != nil || passed == 0 {
		t.Errorf("executor e2e as %s: %v\n%s", who, err, out)
		return
	}
	if testing.Verbose() {
		t.Logf("output:\n%s", out)
	}
}
