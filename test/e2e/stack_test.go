//go:build e2e

// End-to-end tests of berth's built-in executor (`berth up/down/ps/...`
// without systemd) on the real podman of this machine, with the images of
// scripts/build-test-images.sh. Every test uses its own project, container,
// network and volume names and removes everything it made.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var stBuild struct {
	once sync.Once
	path string
	err  error
}

// stBerth builds berth once per test binary, or skips the test when podman
// or the test images are missing.
func stBerth(t *testing.T) string {
	t.Helper()
	if os.Getuid() != 0 && os.Getenv("BERTH_E2E_ROOTLESS") != "1" {
		t.Skip("e2e stack tests run podman as root; run them as root (or set BERTH_E2E_ROOTLESS=1 for rootless podman, as TestSidExecutor does on the sid host)")
	}
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("podman is not installed: run scripts/setup-host.sh")
	}
	for _, img := range []string{"web", "kv", "client"} {
		if exec.Command("podman", "image", "exists", "localhost/berth-test/"+img+":latest").Run() != nil {
			t.Skipf("image localhost/berth-test/%s:latest is missing: run scripts/build-test-images.sh", img)
		}
	}
	stBuild.once.Do(func() {
		if p := os.Getenv("BERTH_E2E_BIN"); p != "" { // a prebuilt berth
			stBuild.path = p
			return
		}
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "berth-e2e-bin-")
		if err != nil {
			stBuild.err = err
			return
		}
		stBuild.path = filepath.Join(dir, "berth")
		cmd := exec.Command("go", "build", "-o", stBuild.path, "./cmd/berth")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			stBuild.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if stBuild.err != nil {
		t.Fatal(stBuild.err)
	}
	return stBuild.path
}

// stStack is one test's stack folder and project.
type stStack struct {
	t       *testing.T
	berth   string
	dir     string
	project string
}

// newStack writes files (with {P} replaced by the project name) into a
// fresh folder and registers a cleanup that takes everything down.
func newStack(t *testing.T, files map[string]string) *stStack {
	berth := stBerth(t)
	p := fmt.Sprintf("e2e%d%04d", os.Getpid()%10000, rand.Intn(10000))
	s := &stStack{t: t, berth: berth, dir: filepath.Join(t.TempDir(), p), project: p}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		name = strings.ReplaceAll(name, "{P}", p)
		text = strings.ReplaceAll(text, "{P}", p)
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = s.berthCmd("down", "--volumes")
		_ = exec.Command("sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.berth.project="+p+") 2>/dev/null; "+
			"podman network rm -f "+p+"-"+p+"-net 2>/dev/null; podman volume rm -f "+p+"-"+p+"-data 2>/dev/null").Run()
	})
	return s
}

func (s *stStack) berthCmd(args ...string) (string, error) {
	cmd := exec.Command(s.berth, append([]string{"-C", s.dir}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (s *stStack) must(args ...string) string {
	s.t.Helper()
	out, err := s.berthCmd(args...)
	if err != nil {
		s.t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func podmanOut(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("podman", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// containers lists the project's containers as "name state" lines.
func (s *stStack) containers() []string {
	var rows []struct {
		Names []string
		State string
	}
	out := podmanOut(s.t, "ps", "-a", "--filter", "label=io.berth.project="+s.project, "--format", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		s.t.Fatalf("podman ps: %v\n%s", err, out)
	}
	var list []string
	for _, r := range rows {
		list = append(list, strings.Join(r.Names, ",")+" "+r.State)
	}
	return list
}

// eventually polls cond until it holds or timeout passes: first after 100
// ms, then half as often again each time up to every 400 ms. Most conds run
// podman or berth (a podman process is ~50 ms of CPU); every 100 ms for a
// 20 s wait kept a core busy, and the suite runs three groups at once.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	t0 := time.Now()
	every := 100 * time.Millisecond
	for !cond() {
		if time.Since(t0) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(every)
		every = min(every*3/2, 400*time.Millisecond)
	}
	return time.Since(t0)
}

// A network, a volume, a kv store on it gated by its health check, a web
// server that needs the store, and a client to talk to both by name.
var stFiles = map[string]string{
	"{P}-net.network": "[Network]\n",
	"{P}-data.volume": "[Volume]\n",
	"kv.container": `[Unit]
Requires={P}-net-network.service {P}-data-volume.service
After={P}-net-network.service {P}-data-volume.service
[Container]
Image=localhost/berth-test/kv:latest
ContainerName={P}-kv
Network={P}-net.network
Volume={P}-data.volume:/data
HealthCmd=["/kv","-check","http://127.0.0.1:8081/healthz"]
HealthInterval=2s
Notify=healthy
[Service]
Restart=always
RestartSec=1
`,
	"web.container": `[Unit]
Requires=kv.service
After=kv.service
[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-web
Network={P}-net.network
Environment=READY_AFTER=2
HealthCmd=["/web","-check","http://127.0.0.1:8080/healthz"]
HealthInterval=1s
Notify=healthy
[Service]
Restart=always
RestartSec=1
`,
	"client.container": `[Unit]
Requires=web.service
After=web.service
[Container]
Image=localhost/berth-test/client:latest
ContainerName={P}-client
Network={P}-net.network
`,
}

func (s *stStack) exec(args ...string) (string, error) {
	return s.berthCmd(append([]string{"exec", "client", "--", "/client"}, args...)...)
}

func TestStackDNSHealthOrderVolumeDown(t *testing.T) {
	s := newStack(t, stFiles)
	t0 := time.Now()
	out := s.must("up", "-d")
	t.Logf("up -d took %s:\n%s", time.Since(t0), out)

	// DNS by container name across the quadlet network.
	if out, err := s.exec("-put", "http://"+s.project+"-kv:8081/k/greeting", "hello"); err != nil {
		t.Fatalf("put via DNS name: %v\n%s", err, out)
	}
	if out, err := s.exec("-get", "http://"+s.project+"-web:8080/healthz"); err != nil {
		t.Fatalf("web by name: %v\n%s", err, out)
	}

	// Health-gated order: web (READY_AFTER=2) is healthy before client starts.
	webStart := startedAt(t, s.project+"-web")
	clientStart := startedAt(t, s.project+"-client")
	if d := clientStart.Sub(webStart); d < 2*time.Second {
		t.Errorf("client started %s after web; web is only healthy after 2 s", d)
	}
	kvStart := startedAt(t, s.project+"-kv")
	if !kvStart.Before(webStart) {
		t.Errorf("web started (%s) before kv (%s)", webStart, kvStart)
	}

	// Named volume data survives down and up.
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Fatalf("containers left after down: %q", c)
	}
	if exec.Command("podman", "network", "exists", s.project+"-"+s.project+"-net").Run() == nil {
		t.Errorf("network left after down")
	}
	if exec.Command("podman", "volume", "exists", s.project+"-"+s.project+"-data").Run() != nil {
		t.Fatalf("volume removed by down without --volumes")
	}
	s.must("up", "-d")
	if out, err := s.exec("-get", "http://"+s.project+"-kv:8081/k/greeting"); err != nil || strings.TrimSpace(out) != "hello" {
		t.Fatalf("value after down+up: %q %v", out, err)
	}
	s.must("down", "--volumes")
	if exec.Command("podman", "volume", "exists", s.project+"-"+s.project+"-data").Run() == nil {
		t.Errorf("volume left after down --volumes")
	}
	if _, err := os.Stat(s.stateDir() + "/control.sock"); err == nil {
		t.Errorf("supervisor socket left after down")
	}
}

func startedAt(t *testing.T, name string) time.Time {
	t.Helper()
	v := podmanOut(t, "inspect", "--format", "{{.State.StartedAt.Format \"2006-01-02T15:04:05.000000000Z07:00\"}}", name)
	ts, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		t.Fatalf("StartedAt of %s: %q: %v", name, v, err)
	}
	return ts
}

func TestStackUpTwiceAndRestart(t *testing.T) {
	s := newStack(t, stFiles)
	s.must("up", "-d")
	ids := podmanOut(t, "ps", "-q", "--no-trunc", "--filter", "label=io.berth.project="+s.project)
	nets := podmanOut(t, "network", "ls", "-q")
	out := s.must("up", "-d")
	if got := podmanOut(t, "ps", "-q", "--no-trunc", "--filter", "label=io.berth.project="+s.project); got != ids {
		t.Errorf("second up changed containers:\n%s\nvs\n%s\n%s", ids, got, out)
	}
	if got := podmanOut(t, "network", "ls", "-q"); got != nets {
		t.Errorf("second up changed networks")
	}
	if strings.Count(out, "unchanged") != 5 {
		t.Errorf("second up output:\n%s", out)
	}

	// A changed unit is recreated with its dependants; the others stay.
	kvID := podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-kv")
	webID := podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-web")
	clientID := podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-client")
	web := strings.ReplaceAll(stFiles["web.container"], "{P}", s.project)
	web = strings.Replace(web, "READY_AFTER=2", "READY_AFTER=0 MODE=changed", 1)
	if err := os.WriteFile(filepath.Join(s.dir, "web.container"), []byte(web), 0o644); err != nil {
		t.Fatal(err)
	}
	out = s.must("up", "-d")
	if podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-kv") != kvID {
		t.Errorf("kv recreated although unchanged:\n%s", out)
	}
	if podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-web") == webID ||
		podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-client") == clientID {
		t.Errorf("web or its dependant client not recreated:\n%s", out)
	}

	// A killed container with Restart=always comes back.
	old := podmanOut(t, "inspect", "--format", "{{.Id}}", s.project+"-web")
	podmanOut(t, "kill", s.project+"-web")
	took := eventually(t, 15*time.Second, "web restarted", func() bool {
		id, err := exec.Command("podman", "inspect", "--format", "{{.Id}} {{.State.Running}}", s.project+"-web").Output()
		return err == nil && !strings.HasPrefix(string(id), old) && strings.HasSuffix(strings.TrimSpace(string(id)), "true")
	})
	t.Logf("web back after %s", took)
	var rows []struct {
		Service  string
		State    string
		Restarts int
		LastExit *int
	}
	eventually(t, 10*time.Second, "ps shows the restart", func() bool {
		if err := json.Unmarshal([]byte(s.must("ps", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Service == "web" && r.Restarts >= 1 && r.LastExit != nil && *r.LastExit == 137 && r.State == "active" {
				return true
			}
		}
		return false
	})
	s.must("down")
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers left after down: %q", c)
	}
}

func TestStackForegroundSigterm(t *testing.T) {
	s := newStack(t, stFiles)
	cmd := exec.Command(s.berth, "-C", s.dir, "up")
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			t.Logf("berth up output:\n%s", out.String())
		}
	}()
	eventually(t, 60*time.Second, "client ready", func() bool {
		return strings.Contains(out.String(), "client         ready (")
	})
	eventually(t, 5*time.Second, "all three containers running", func() bool {
		n := 0
		for _, c := range s.containers() {
			if strings.HasSuffix(c, " running") {
				n++
			}
		}
		return n == 3
	})
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("berth up exited with %v\n%s", err, out.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("berth up did not exit after SIGTERM\n%s", out.String())
	}
	if c := s.containers(); len(c) != 0 {
		t.Errorf("containers left after SIGTERM: %q\n%s", c, out.String())
	}
	if !strings.Contains(out.String(), "web ") && !strings.Contains(out.String(), "web |") {
		t.Errorf("no prefixed output:\n%s", out.String())
	}
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Without systemd nothing runs periodic health checks; berth's supervisor
// does, and podman applies HealthOnFailure=kill, after which Restart=always
// brings the container back.
func TestStackHealthOnFailureKill(t *testing.T) {
	s := newStack(t, map[string]string{"sick.container": `[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-sick
HealthCmd=["/web","-check","http://127.0.0.1:8080/no-such-page"]
HealthInterval=1s
HealthRetries=1
HealthOnFailure=kill
[Service]
Restart=always
RestartSec=500ms
`})
	s.must("up", "-d")
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := s.berthCmd("ps", "--json")
			t.Logf("ps --json: %s", out)
			for _, dir := range []string{"/run/berth/", os.Getenv("XDG_RUNTIME_DIR") + "/berth/"} {
				if b, err := os.ReadFile(dir + s.project + "/supervisor.log"); err == nil {
					t.Logf("supervisor.log:\n%s", b)
				}
			}
		}
	})
	var rows []struct {
		Service  string
		Restarts int
		LastExit *int
	}
	took := eventually(t, 20*time.Second, "sick killed by its health check and restarted", func() bool {
		if err := json.Unmarshal([]byte(s.must("ps", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		return len(rows) == 1 && rows[0].Restarts >= 1 && rows[0].LastExit != nil && *rows[0].LastExit == 137
	})
	t.Logf("first health kill and restart after %s", took)
	s.must("down")
}
