//go:build e2e

package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/podman"
)

// e2e: real podman, the example agent built as scripts/demo.sh builds it,
// and the registry-free client image of scripts/build-test-images.sh.
//
//	go test -tags e2e -run E2E ./internal/observe

// needPodmanAndClient skips a test without podman or without the client
// image the checks run in the stack's network.
func needPodmanAndClient(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("no podman")
	}
	if exec.Command("podman", "image", "exists", TestClientImage).Run() != nil {
		t.Skipf("%s missing: run scripts/build-test-images.sh", TestClientImage)
	}
}

func run(t *testing.T, dir string, argv ...string) string {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	return string(out)
}

// agentImage builds examples/agent into a local image and returns its name.
func agentImage(t *testing.T, repo string) string {
	ctxDir := t.TempDir()
	run(t, repo, "go", "build", "-o", filepath.Join(ctxDir, "bin", "agent"), "./examples/agent")
	img := "localhost/berth-e2e/agent:observe"
	run(t, repo, "podman", "build", "-q", "--pull=never", "-t", img, "-f", "examples/agent/Containerfile", ctxDir)
	return img
}

func TestE2ECheckMetrics(t *testing.T) {
	needPodmanAndClient(t)
	repo, _ := filepath.Abs("../..")
	img := agentImage(t, repo)
	id := fmt.Sprintf("berth-e2e-obs-%d", os.Getpid())
	dir := filepath.Join(t.TempDir(), "obs")
	writeFile(t, filepath.Join(dir, "obs.network"), "[Network]\nNetworkName="+id+"\n")
	writeFile(t, filepath.Join(dir, "agent.container"), "[Container]\nContainerName="+id+"-agent\nImage="+img+
		"\nNetwork=obs.network\nLabel=io.berth.metrics=8000/metrics\n")
	writeFile(t, filepath.Join(dir, "wrongpath.container"), "[Container]\nContainerName="+id+"-agent\nImage="+img+
		"\nNetwork=obs.network\nLabel=io.berth.metrics=8000/nothing\n")
	writeFile(t, filepath.Join(dir, "ghost.container"), "[Container]\nContainerName="+id+"-ghost\nImage="+img+
		"\nNetwork=obs.network\nLabel=io.berth.metrics=8000/metrics\n")
	t.Cleanup(func() {
		_ = exec.Command("podman", "rm", "-f", "-t", "0", id+"-agent").Run()
		_ = exec.Command("podman", "network", "rm", "-f", id).Run()
	})
	run(t, dir, "podman", "network", "create", id)
	run(t, dir, "podman", "run", "-d", "--name", id+"-agent", "--network", id, img)

	st, err := LoadStack(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	checks, err := CheckMetrics(ctx, st, podman.ExecRunner{}, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("3 endpoints checked in %v: %+v", time.Since(start).Round(time.Millisecond), checks)
	by := map[string]MetricsCheck{}
	for _, c := range checks {
		by[c.Service] = c
	}
	if a := by["agent"]; !a.OK() || a.Families < 2 || a.Samples < 3 || a.Network != id {
		t.Errorf("agent: %+v", a)
	}
	// The agent answers any path with JSON: 200, but not metrics.
	if w := by["wrongpath"]; w.OK() || !strings.Contains(w.Error, "not in the Prometheus text format") {
		t.Errorf("wrong path: %+v", w)
	}
	if g := by["ghost"]; g.Status != 0 || g.Error == "" {
		t.Errorf("ghost: %+v", g)
	}

	// The same through the command line, for one service.
	bin := filepath.Join(t.TempDir(), "berth")
	run(t, repo, "go", "build", "-o", bin, "./cmd/berth")
	out := run(t, dir, bin, "check", "metrics", "--json", "agent")
	var got []MetricsCheck
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || !got[0].OK() {
		t.Errorf("berth check metrics agent: %v\n%s", err, out)
	}
}
