//go:build e2e

// End-to-end test of `berth install` under a real systemd, on each test host
// (hosts_test.go): Debian bookworm with systemd 252 and podman 4.3.1 (no
// quadlet generator: berth is it), and Debian sid with systemd 26x and podman
// 5.8 (its own generator compiles what berth installs), booted with
// systemd-nspawn by scripts/nspawn.sh. Run by scripts/test.sh, which builds
// the rootfs and the test images first.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The Colosseum stack reduced to the small test images. The real one runs in
// systemd_colosseum_test.go; this one adds what the real stack lacks:
// relative paths that install must rewrite (EnvironmentFile=./agent.env, a
// ./ bind mount), images copied with `podman save | podman load`, `berth
// list --json` and the restart of a service that nothing requires.
var miniColosseum = map[string]string{
	"colosseum.network":        "[Network]\nNetworkName=colosseum-network\n",
	"colosseum-db-data.volume": "[Volume]\nVolumeName=colosseum-db-data\n",
	"colosseum-db.container": `[Unit]
Description=Colosseum database (kv test image)
[Container]
ContainerName=colosseum-db
Image=localhost/berth-test/kv:latest
Network=colosseum.network
Volume=colosseum-db-data.volume:/data
[Service]
Restart=always
[Install]
WantedBy=multi-user.target
`,
	"colosseum-agent.container": `[Unit]
Description=Colosseum agent (web test image)
Requires=colosseum-db.container
After=colosseum-db.container
[Container]
ContainerName=colosseum-agent
Image=localhost/berth-test/web:latest
Network=colosseum.network
EnvironmentFile=./agent.env
Volume=./static:/static:ro
[Service]
Restart=always
RestartSec=1
[Install]
WantedBy=multi-user.target
`,
	"agent.env":        "MESSAGE=from-env-file\n",
	"static/hello.txt": "hi\n",
}

const (
	inside     = "/srv/stacks/colosseum" // the stack's folder inside the instance
	instance   = "berth-e2e-systemd"
	berthInner = "/usr/local/bin/berth"
	// generatorInner is the small generator binary, beside berth: what
	// `berth install` links as the systemd generator.
	generatorInner = "/usr/local/bin/berth-generator"
)

// sdInstance is one systemd-nspawn instance run by scripts/nspawn.sh.
type sdInstance struct {
	t      *testing.T
	script string
	name   string
	host   sdHost
}

func (n sdInstance) cmd(args ...string) *exec.Cmd {
	cmd := exec.Command("bash", append([]string{n.script, "--name", n.name}, args...)...)
	cmd.Env = append(os.Environ(), "BERTH_NSPAWN_ROOTFS="+n.host.rootfs)
	return cmd
}

func (n sdInstance) run(args ...string) (string, error) {
	out, err := n.cmd(args...).CombinedOutput()
	return string(out), err
}

func (n sdInstance) must(args ...string) string {
	n.t.Helper()
	out, err := n.run(args...)
	if err != nil {
		n.t.Fatalf("nspawn.sh %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// copyTree copies what (paths relative to dir on the host) into the folder
// dest inside the instance, by tar over a pipe (files owned by root there).
func (n sdInstance) copyTree(dir, dest string, what ...string) {
	n.t.Helper()
	tar := exec.Command("tar", append([]string{"-C", dir, "-c"}, what...)...)
	untar := n.cmd("exec", "sh", "-c", `mkdir -p "$1" && tar -C "$1" -x --no-same-owner`, "sh", dest)
	var err error
	if untar.Stdin, err = tar.StdoutPipe(); err != nil {
		n.t.Fatal(err)
	}
	var out bytes.Buffer
	untar.Stdout, untar.Stderr = &out, &out
	if err := tar.Start(); err != nil {
		n.t.Fatal(err)
	}
	if err := untar.Run(); err != nil {
		n.t.Fatalf("copying %v of %s into %s: %v\n%s", what, dir, dest, err, out.String())
	}
	if err := tar.Wait(); err != nil {
		n.t.Fatal(err)
	}
}

func (n sdInstance) exec(args ...string) (string, error) {
	return n.run(append([]string{"exec"}, args...)...)
}

func (n sdInstance) mustExec(args ...string) string {
	n.t.Helper()
	return n.must(append([]string{"exec"}, args...)...)
}

func sdRepoRoot(t *testing.T) string {
	if r := os.Getenv("BERTH_REPO"); r != "" {
		return r
	}
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "../.."))
}

// needSystemd skips the test unless the systemd e2e can run here.
func needSystemd(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root (systemd-nspawn, rootful podman)")
	}
	if os.Getenv("BERTH_E2E_SYSTEMD") == "0" {
		t.Skip("BERTH_E2E_SYSTEMD=0")
	}
}

// needImages skips the test unless the host's podman has the images.
func needImages(t *testing.T, build string, images ...string) {
	t.Helper()
	// One podman process for all of them (this runs in every test); which
	// one is missing is only asked when one is.
	if len(images) == 0 || exec.Command("podman", append([]string{"image", "inspect", "--format", "{{.Id}}"}, images...)...).Run() == nil {
		return
	}
	for _, img := range images {
		if exec.Command("podman", "image", "exists", img).Run() != nil {
			t.Skipf("no image %s on the host: build it with %s", img, build)
		}
	}
}

// bootSystemd boots a fresh instance of host h named NAME-PID (stopped at
// the end of the test; the PID keeps concurrent test runs apart) with
// nspawnArgs added to systemd-nspawn's command line.
func bootSystemd(t *testing.T, h sdHost, name string, nspawnArgs ...string) sdInstance {
	t.Helper()
	name = fmt.Sprintf("%s-%s-%d", name, h.name, os.Getpid())
	n := sdInstance{t: t, script: filepath.Join(sdRepoRoot(t), "scripts/nspawn.sh"), name: name, host: h}
	t0 := time.Now()
	args := []string{"start"}
	if len(nspawnArgs) > 0 {
		args = append(append(args, "--"), nspawnArgs...)
	}
	n.must(args...)
	t.Cleanup(func() { n.run("stop") })
	t.Logf("%s booted in %.1fs: %s", name, time.Since(t0).Seconds(), hostVersions(n))
	return n
}

// installBerth builds berth and berth-generator (static) on the host and
// copies them to berthInner and generatorInner in the instance.
func installBerth(t *testing.T, n sdInstance) {
	t.Helper()
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/berth", "./cmd/berth-generator")
	build.Dir, build.Env = sdRepoRoot(t), append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	n.must("cp", filepath.Join(bin, "berth"), berthInner)
	n.must("cp", filepath.Join(bin, "berth-generator"), generatorInner)
}

func setupSystemd(t *testing.T, h sdHost) sdInstance {
	images := []string{"localhost/berth-test/kv:latest", "localhost/berth-test/web:latest"}
	needImages(t, "scripts/build-test-images.sh", images...)
	n := bootSystemd(t, h, instance)
	// This test copies its images with podman save | podman load (the
	// Colosseum test shares the host's image store instead).
	t0 := time.Now()
	n.must(append([]string{"load"}, images...)...)
	t.Logf("images loaded in %.1fs", time.Since(t0).Seconds())
	installBerth(t, n)
	src := t.TempDir()
	for name, content := range miniColosseum {
		p := filepath.Join(src, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		n.must("cp", p, filepath.Join(inside, name))
	}
	return n
}

func TestSystemdInstallRestartUninstall(t *testing.T) {
	forEachHost(t, testSystemdInstallRestartUninstall)
}

func testSystemdInstallRestartUninstall(t *testing.T, h sdHost) {
	tStart := time.Now()
	n := setupSystemd(t, h)
	checkBerthVersion(t, n)

	t0 := time.Now()
	out := n.mustExec(berthInner, "install", "--now", inside)
	t.Logf("berth install --now took %.1fs:\n%s", time.Since(t0).Seconds(), out)
	for _, want := range []string{"EnvironmentFile=./agent.env ->", "colosseum-agent.service"} {
		if !strings.Contains(out, want) {
			t.Errorf("install output lacks %q", want)
		}
	}
	checkGeneratorChoice(t, n, out, "/run/systemd/generator/colosseum-agent.service", "/etc/systemd/system-generators/berth-system-generator")
	if h.sid() {
		checkQuadletListAgrees(t, n.exec, "/etc/containers/systemd/colosseum")
	}
	if got := n.mustExec("systemctl", "is-active", "colosseum-db.service", "colosseum-agent.service"); got != "active\nactive\n" {
		t.Fatalf("is-active: %q", got)
	}
	env := n.mustExec("podman", "inspect", "colosseum-agent", "--format", "{{range .Config.Env}}{{println .}}{{end}}")
	if !strings.Contains(env, "MESSAGE=from-env-file") {
		t.Errorf("EnvironmentFile=./agent.env not applied after install:\n%s", env)
	}

	var stacks []struct {
		Stack string `json:"stack"`
		Units []struct {
			Service     string `json:"service"`
			ActiveState string `json:"active_state"`
		} `json:"units"`
	}
	if err := json.Unmarshal([]byte(n.mustExec(berthInner, "list", "--json")), &stacks); err != nil || len(stacks) != 1 || len(stacks[0].Units) != 4 {
		t.Errorf("berth list --json: %v %+v", err, stacks)
	}
	if st, err := n.exec(berthInner, "status", "colosseum"); err != nil {
		t.Errorf("berth status: %v\n%s", err, st)
	}

	checkRestart(t, n)

	t0 = time.Now()
	out = n.mustExec(berthInner, "uninstall", "colosseum")
	t.Logf("berth uninstall took %.1fs:\n%s", time.Since(t0).Seconds(), out)
	if !strings.Contains(out, "volumes and their data are kept") {
		t.Errorf("uninstall does not say volumes are kept")
	}
	checkNothingLeft(t, n)
	t.Logf("whole test on %s: %.1fs", h.name, time.Since(tStart).Seconds())
}

// checkRestart kills the agent's container and waits for systemd to restart it.
func checkRestart(t *testing.T, n sdInstance) {
	t.Helper()
	n.mustExec("podman", "kill", "colosseum-agent")
	t0 := time.Now()
	for time.Since(t0) < 60*time.Second {
		restarts, _ := n.exec("systemctl", "show", "-p", "NRestarts", "--value", "colosseum-agent.service")
		active, _ := n.exec("systemctl", "is-active", "colosseum-agent.service")
		if k, _ := strconv.Atoi(strings.TrimSpace(restarts)); k >= 1 && strings.TrimSpace(active) == "active" {
			t.Logf("systemd restarted the killed container in %.1fs (NRestarts=%d)", time.Since(t0).Seconds(), k)
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	st, _ := n.exec("systemctl", "status", "--no-pager", "colosseum-agent.service")
	t.Fatalf("colosseum-agent.service not restarted within 60s:\n%s", st)
}

func checkNothingLeft(t *testing.T, n sdInstance) {
	t.Helper()
	for _, p := range []string{"/etc/containers/systemd/colosseum", "/etc/systemd/system-generators/berth-system-generator"} {
		if out, err := n.exec("test", "-e", p); err == nil {
			t.Errorf("%s left behind %s", p, out)
		}
	}
	if _, err := n.exec("podman", "volume", "exists", "colosseum-db-data"); err != nil {
		t.Error("the volume colosseum-db-data was removed; uninstall must keep it")
	}
	if ps := n.mustExec("podman", "ps", "-a", "--format", "{{.Names}}"); strings.Contains(ps, "colosseum") {
		t.Errorf("containers left: %s", ps)
	}
	if nets := n.mustExec("podman", "network", "ls", "--format", "{{.Name}}"); strings.Contains(nets, "colosseum") {
		t.Errorf("networks left: %s", nets)
	}
	if gen := n.mustExec("ls", "/run/systemd/generator"); strings.Contains(gen, "colosseum") {
		t.Errorf("generated units left in /run/systemd/generator:\n%s", gen)
	}
	units := n.mustExec("systemctl", "list-units", "--all", "--plain", "--no-legend", "colosseum*")
	if strings.TrimSpace(units) != "" {
		t.Errorf("units left:\n%s", units)
	}
	fmt.Fprintln(os.Stderr) // keep go test's output tidy after the instance's logs
}
