package observe

import (
	"github.com/berth-dev/berth/internal/atomicfile"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := atomicfile.Write(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

const netUnit = "[Network]\nNetworkName=app-net\n"

func svcUnit(labels ...string) string {
	s := "[Container]\nImage=localhost/x:1\nNetwork=app.network\n"
	for _, l := range labels {
		s += "Label=" + l + "\n"
	}
	return s
}

// Re-running Add follows the stack: targets and drop-ins appear and go.
func TestAddFollowsTheStack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.metrics=8000/metrics", "io.berth.otel=true"))
	if _, err := Add(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	targets := filepath.Join(dir, pathTargets)
	if got := readFile(t, targets); !strings.Contains(got, `"systemd-api:8000"`) {
		t.Fatalf("targets.yml lacks the api:\n%s", got)
	}
	dropin := filepath.Join(dir, DropinPath("api.container"))
	if got := readFile(t, dropin); !strings.Contains(got, "OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:4317") {
		t.Fatalf("drop-in:\n%s", got)
	}

	writeFile(t, filepath.Join(dir, "api.container"), svcUnit())
	writeFile(t, filepath.Join(dir, "worker.container"), svcUnit("io.berth.metrics=9100"))
	res, err := Add(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := readFile(t, targets)
	if strings.Contains(got, "systemd-api") || !strings.Contains(got, `"systemd-worker:9100"`) {
		t.Errorf("targets.yml did not follow the stack:\n%s", got)
	}
	if !slices.Contains(res.Written, pathTargets) || !slices.Contains(res.Removed, DropinPath("api.container")) {
		t.Errorf("written %v, removed %v", res.Written, res.Removed)
	}
	if _, err := os.Stat(filepath.Dir(dropin)); !os.IsNotExist(err) {
		t.Errorf("the emptied drop-in folder is still there: %v", err)
	}
}

// A file without the marker is the user's: Add and Remove leave it alone.
func TestUserFilesAreLeftAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	own := "global:\n  scrape_interval: 5s\n"
	writeFile(t, filepath.Join(dir, pathPrometheus), own)
	writeFile(t, filepath.Join(dir, "observe/notes.txt"), "mine\n")
	res, err := Add(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Kept, []string{pathPrometheus}) {
		t.Errorf("kept %v", res.Kept)
	}
	if got := readFile(t, filepath.Join(dir, pathPrometheus)); got != own {
		t.Errorf("Add changed the user's prometheus.yml:\n%s", got)
	}
	rm, err := Remove(dir)
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(rm.Removed, pathPrometheus) || len(rm.Volumes) != 3 {
		t.Errorf("removed %v, volumes %v", rm.Removed, rm.Volumes)
	}
	for _, p := range []string{pathPrometheus, "observe/notes.txt", "app.network"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("Remove deleted the user's %s", p)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "app-prometheus.container")); !os.IsNotExist(err) {
		t.Errorf("Remove left app-prometheus.container: %v", err)
	}
}

// A user's own OTEL_EXPORTER_OTLP_ENDPOINT wins over the injected one.
func TestUserEndpointWins(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"),
		svcUnit("io.berth.otel=true")+"Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://elsewhere:4317\n")
	if _, err := Add(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, DropinPath("api.container"))); !os.IsNotExist(err) {
		t.Errorf("a drop-in was written although the user sets the endpoint: %v", err)
	}
}
