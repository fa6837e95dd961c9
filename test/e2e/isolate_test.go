//go:build e2e

// Projects are namespaces (issue 11, item 1): two projects with the same
// file names never share, replace or remove each other's containers,
// networks or volumes. Project names start with "iso".
package e2e

import (
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// isoStack is newStack with an "iso" project name: {P} in names and texts
// becomes the project, {X} a name shared by every stack of the test.
func isoStack(t *testing.T, shared string, files map[string]string) *stStack {
	berth := stBerth(t)
	p := fmt.Sprintf("iso%d%04d", os.Getpid()%1000, rand.Intn(10000))
	s := &stStack{t: t, berth: berth, dir: filepath.Join(t.TempDir(), p), project: p}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		r := strings.NewReplacer("{P}", p, "{X}", shared)
		if err := os.WriteFile(filepath.Join(s.dir, r.Replace(name)), []byte(r.Replace(text)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_, _ = s.berthCmd("down", "--volumes")
		_ = exec.Command("sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.berth.project="+p+") 2>/dev/null; "+
			"podman network rm -f "+p+"-net 2>/dev/null; podman volume rm -f "+p+"-data 2>/dev/null").Run()
	})
	return s
}

// isoShared is a name for objects both projects of a test name explicitly.
func isoShared(t *testing.T) string {
	x := fmt.Sprintf("isox%d%04d", os.Getpid()%1000, rand.Intn(10000))
	t.Cleanup(func() {
		_ = exec.Command("sh", "-c", "podman rm -f -t 0 "+x+" 2>/dev/null; podman network rm -f "+x+" 2>/dev/null").Run()
	})
	return x
}

var isoFiles = map[string]string{
	"net.network":   "[Network]\n",
	"data.volume":   "[Volume]\n",
	"web.container": "[Unit]\nRequires=net-network.service data-volume.service\nAfter=net-network.service data-volume.service\n[Container]\nImage=localhost/berth-test/web:latest\nNetwork=net.network\nVolume=data.volume:/data\nEnvironment=MESSAGE={P}\n[Service]\nRestart=always\nRestartSec=1\n",
}

func labelOf(t *testing.T, kind, name string) string {
	t.Helper()
	format := "{{index .Labels \"io.berth.project\"}}"
	if kind == "container" {
		format = "{{index .Config.Labels \"io.berth.project\"}}"
	}
	return podmanOut(t, kind, "inspect", "--format", format, name)
}

func exists(kind, name string) bool {
	return exec.Command("podman", kind, "exists", name).Run() == nil
}

// Two projects with the same files (no ContainerName=): each gets its own
// container, network and volume; down of one leaves the other running.
func TestIsolateSameFilesTwoProjects(t *testing.T) {
	a, b := isoStack(t, "", isoFiles), isoStack(t, "", isoFiles)
	a.must("up", "-d")
	idA := containerID(t, a.project+"-web")
	b.must("up", "-d")
	for _, s := range []*stStack{a, b} {
		for kind, name := range map[string]string{"container": s.project + "-web", "network": s.project + "-net", "volume": s.project + "-data"} {
			if got := labelOf(t, kind, name); got != s.project {
				t.Errorf("%s %s has project %q, want %q", kind, name, got, s.project)
			}
		}
	}
	if containerID(t, a.project+"-web") != idA {
		t.Errorf("%s's web was replaced by %s's up", a.project, b.project)
	}
	// podman's own name (systemd-web) resolves on the project's network to
	// the project's own container, as under systemd.
	if out, err := a.berthCmd("exec", "web", "--", "/web", "-check", "http://systemd-web:8080/"); err != nil {
		t.Errorf("systemd-web does not resolve in %s: %v\n%s", a.project, err, out)
	}
	if ps := a.must("ps"); !strings.Contains(ps, "active") || !strings.Contains(ps, a.project+"-web") {
		t.Errorf("ps of %s:\n%s", a.project, ps)
	}
	a.must("down")
	if exists("container", a.project+"-web") || exists("network", a.project+"-net") {
		t.Errorf("%s's container or network left after its down", a.project)
	}
	if !exists("container", b.project+"-web") || !exists("network", b.project+"-net") || !exists("volume", b.project+"-data") {
		t.Fatalf("down of %s removed %s's objects", a.project, b.project)
	}
	if got := podmanOut(t, "inspect", "--format", "{{.State.Running}}", b.project+"-web"); got != "true" {
		t.Errorf("%s's web after %s's down: running=%s", b.project, a.project, got)
	}
}

// A name set explicitly (ContainerName=, NetworkName=) that another project
// holds: the second up is refused before it touches anything, naming the
// project and the file:line; its down, stop and restart leave the other
// project's objects alone.
func TestIsolateExplicitNamesRefused(t *testing.T) {
	x := isoShared(t)
	files := map[string]string{
		"shared.network": "[Network]\nNetworkName={X}\n",
		"web.container":  "[Unit]\nRequires=shared-network.service\nAfter=shared-network.service\n[Container]\nImage=localhost/berth-test/web:latest\nContainerName={X}\nNetwork=shared.network\n[Service]\nRestart=always\n",
	}
	a, b := isoStack(t, x, files), isoStack(t, x, files)
	a.must("up", "-d")
	id := containerID(t, x)
	out, err := b.berthCmd("up", "-d")
	if err == nil {
		t.Fatalf("second project's up succeeded:\n%s", out)
	}
	for _, want := range []string{
		filepath.Join(b.dir, "web.container") + ":6: ContainerName=" + x,
		"belongs to project " + a.project,
		filepath.Join(b.dir, "shared.network") + ":2: NetworkName=" + x,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("refusal lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "starting") || strings.Contains(out, "last log lines") {
		t.Errorf("the refused up started something or printed logs:\n%s", out)
	}
	if out, _ := b.berthCmd("logs"); strings.Contains(out, "listening") {
		t.Errorf("logs of %s printed %s's container's logs:\n%s", b.project, a.project, out)
	}
	for _, verb := range [][]string{{"kill"}, {"exec", "web", "--", "/web", "-check", "http://127.0.0.1:8080/"}, {"stop"},
		{"restart"}, {"down", "--volumes"}} {
		out, _ := b.berthCmd(verb...)
		if containerID(t, x) != id || labelOf(t, "network", x) != a.project {
			t.Fatalf("berth %s of %s touched %s's objects:\n%s", verb[0], b.project, a.project, out)
		}
	}
	if got := podmanOut(t, "inspect", "--format", "{{.State.Running}}", x); got != "true" {
		t.Errorf("%s's container is not running: %s", a.project, got)
	}
	a.must("down")
	if exists("container", x) || exists("network", x) {
		t.Errorf("%s's own down left its objects", a.project)
	}
}
