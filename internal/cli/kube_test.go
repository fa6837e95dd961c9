package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKubeExportCommand runs `berth kube export` as a user would: the
// manifests land in -o DIR as PROJECT.yaml, the report and the apply line go
// to stderr; bad flags and bad units are errors that name what to fix, and
// --strict writes nothing when anything is lost.
func TestKubeExportCommand(t *testing.T) {
	dir := t.TempDir()
	stack := filepath.Join(dir, "shop")
	if err := os.MkdirAll(stack, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(stack, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("web.container", "[Container]\nImage=registry.example.com/web:1\nPublishPort=8080:80\nPidsLimit=10\n[Service]\nRestart=always\n")
	env := map[string]string{"BERTH_PODMAN_VERSION": "5.8.2"}

	a, _, stderr := testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "shop", "-o", "out"}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "out", "shop.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: Deployment", "kind: Service", "containerPort: 80", "image: registry.example.com/web:1"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("manifests lack %q:\n%s", want, data)
		}
	}
	for _, want := range []string{"shop/web.container:4: dropped: PidsLimit=", "apply it with: kubectl apply -f out/shop.yaml"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	a, _, stderr = testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "shop", "--strict", "-o", "strict"}); code == 0 || exists(filepath.Join(dir, "strict")) {
		t.Fatalf("--strict with a dropped key: exit %d, or it wrote strict/:\n%s", code, stderr)
	}
	a, _, stderr = testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "shop", "--for", "nomad"}); code == 0 || !strings.Contains(stderr.String(), "want kubernetes or podman") {
		t.Fatalf("--for nomad: exit %d:\n%s", code, stderr)
	}
	write("bad.container", "[Container]\nImage=x\nRestart=sometimes\nBogusKey=1\n")
	a, stdout, stderr := testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "shop"}); code == 0 || stdout.Len() > 0 || !strings.Contains(stderr.String(), "bad.container:4") {
		t.Fatalf("a unit with an unknown key: exit %d, stdout %d bytes:\n%s", code, stdout.Len(), stderr)
	}
}

// TestKubeExportComposeStrict: for a compose project, every report line is
// at the compose file's line and column with the compose key, and --strict
// fails on what the conversion to units lost as on what the export lost.
func TestKubeExportComposeStrict(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: docker.io/library/nginx:1.27\n"+
		"    ports: [\"80:80\"]\n    restart: always\n    cpu_count: 2\n    pids_limit: 10\n")
	env := map[string]string{"BERTH_PODMAN_VERSION": "5.8.2"}
	a, _, stderr := testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "-f", "compose.yaml", "-o", "out"}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	for _, want := range []string{"compose.yaml:6:5: dropped: service web: cpu_count: ",
		"compose.yaml:7:5: dropped: service web: pids_limit: has no counterpart in the kubernetes manifests"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stderr.String(), ".container:") {
		t.Errorf("a report line names the converted unit's line:\n%s", stderr)
	}
	// Only the conversion loses something here: --strict still refuses.
	writeFile(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: docker.io/library/nginx:1.27\n"+
		"    ports: [\"80:80\"]\n    restart: always\n    cpu_count: 2\n")
	a, _, stderr = testApp("berth", env)
	if code := a.run([]string{"-C", dir, "kube", "export", "-f", "compose.yaml", "--strict", "-o", "strict"}); code == 0 || exists(filepath.Join(dir, "strict")) {
		t.Fatalf("--strict with a dropped compose key: exit %d, or it wrote strict/:\n%s", code, stderr)
	}
}

// TestKubeExportComposeScale: a scaled compose service is one workload with
// that many replicas, not one Deployment per replica unit.
func TestKubeExportComposeScale(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "compose.yaml"), "services:\n  web:\n    image: docker.io/library/nginx:1.27\n"+
		"    ports: [\"80\"]\n    restart: always\n    deploy:\n      replicas: 3\n")
	a, stdout, stderr := testApp("berth", map[string]string{"BERTH_PODMAN_VERSION": "5.8.2"})
	if code := a.run([]string{"-C", dir, "kube", "export", "-f", "compose.yaml"}); code != 0 {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	out := stdout.String()
	if n := strings.Count(out, "kind: Deployment"); n != 1 || !strings.Contains(out, "  replicas: 3\n") {
		t.Errorf("want one Deployment with 3 replicas, got %d Deployments:\n%s", n, out)
	}
}
