package quadlet

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakePodman answers the three commands the health wait runs from files in
// dir: "gone" makes the container unknown, "status" holds one
// "State HealthStatus" line per inspect (the last one repeats), and every
// `healthcheck run` is appended to "checks".
const fakePodman = `#!/bin/sh
d=$(dirname "$0")
case "$1 $2" in
"container inspect")
	[ -e "$d/gone" ] && { echo "Error: no such container $5" >&2; exit 125; }
	case "$4" in
	*Id*) if [ -e "$d/nocheck" ]; then echo "abc123 none"; else echo abc123; fi ;;
	*) n=$(cat "$d/polls" 2>/dev/null || echo 0); n=$((n + 1)); echo $n >"$d/polls"
	   line=$(sed -n "${n}p" "$d/status"); [ -n "$line" ] || line=$(tail -n 1 "$d/status")
	   case "$line" in gone) touch "$d/gone"; exit 125 ;; esac
	   echo "$line" ;;
	esac ;;
"healthcheck run") echo "$3" >>"$d/checks" ;;
*) echo "unexpected: $*" >&2; exit 2 ;;
esac
`

func TestHealthWaitScript(t *testing.T) {
	for _, tc := range []struct {
		name     string
		timer    bool // podman's transient timer runs the checks
		nocheck  bool // the container has no health check
		interval int
		status   string
		ok       bool
		checks   [2]int // at least, at most
		stderr   string
	}{
		{name: "timer runs the checks: observe only", timer: true, interval: 1,
			status: "running starting\nrunning starting\nrunning starting\nrunning healthy", ok: true},
		{name: "no timer: the wait runs them on the interval", interval: 1,
			status: "running starting\nrunning starting\nrunning starting\nrunning starting\nrunning healthy", ok: true, checks: [2]int{1, 4}},
		{name: "unhealthy keeps waiting", timer: true, interval: 1,
			status: "running unhealthy\nrunning unhealthy\nrunning healthy", ok: true},
		{name: "killed by HealthOnFailure and removed", timer: true, interval: 1,
			status: "running starting\ngone", stderr: "is gone before it was healthy"},
		{name: "exited", timer: true, interval: 1,
			status: "running starting\nexited unhealthy", stderr: "is exited unhealthy before it was healthy"},
		{name: "healthy but not running is not ready", timer: true, interval: 1,
			status: "stopped healthy", stderr: "is stopped healthy before"},
		{name: "no health check at all", nocheck: true, interval: 1,
			status: "running ", stderr: "has no health check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			podman := filepath.Join(dir, "podman")
			must(t, os.WriteFile(podman, []byte(fakePodman), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "status"), []byte(tc.status+"\n"), 0o644))
			rt := filepath.Join(dir, "rt")
			must(t, os.MkdirAll(filepath.Join(rt, "systemd/transient"), 0o755))
			if tc.nocheck {
				must(t, os.WriteFile(filepath.Join(dir, "nocheck"), nil, 0o644))
			}
			if tc.timer {
				must(t, os.WriteFile(filepath.Join(rt, "systemd/transient/abc123.timer"), nil, 0o644))
			}
			// As systemd runs the line: %% is %, nothing else changes.
			script := strings.ReplaceAll(healthWaitScript(podman, "web", tc.interval), "%%", "%")
			cmd := exec.Command("/bin/sh", "-c", script)
			cmd.Env = []string{"PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + rt}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			t0 := time.Now()
			err := cmd.Run()
			took := time.Since(t0)
			if (err == nil) != tc.ok {
				t.Fatalf("exit: %v, want ok=%v; stderr: %s", err, tc.ok, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "checks"))
			if n := strings.Count(string(b), "web\n"); n < tc.checks[0] || n > tc.checks[1] {
				t.Errorf("%d health checks run by the wait, want %d..%d", n, tc.checks[0], tc.checks[1])
			}
			if took > 5*time.Second {
				t.Errorf("took %s", took) // a hang guard, not a speed target
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestHealthIntervalSeconds(t *testing.T) {
	for in, want := range map[string]int{"": 30, "1s": 1, "500ms": 1, "1m500ms": 61, "2m": 120, "disable": 1, "bogus": 30} {
		if got := healthIntervalSeconds(in); got != want {
			t.Errorf("%q: %d, want %d", in, got, want)
		}
	}
}
