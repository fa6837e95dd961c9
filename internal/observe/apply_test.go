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

// A user's own OTEL_EXPORTER_OTLP_ENDPOINT wins over the injected one; the
// service still gets a service name, which berth check traces looks for.
func TestUserEndpointWins(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"),
		svcUnit("io.berth.otel=true")+"Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://elsewhere:4317\n")
	if _, err := Add(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, DropinPath("api.container")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), "OTEL_EXPORTER_OTLP_ENDPOINT") || strings.Contains(string(data), "PROTOCOL") ||
		!strings.Contains(string(data), "Environment=OTEL_SERVICE_NAME=api\n") {
		t.Errorf("drop-in:\n%s", data)
	}
}

// --image replaces a component's image, an image for the collector adds
// it, --without leaves components out (and what pointed at them), and
// unknown names are refused.
func TestImagesAndWithout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.otel=true"))
	opts := Options{Images: map[string]string{CompJaeger: "localhost/mirror/jaeger:2", CompCollector: "localhost/otelcol:1"},
		Without: map[string]bool{CompGrafana: true}}
	res, err := Add(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) string {
		data, _ := os.ReadFile(filepath.Join(dir, p))
		return string(data)
	}
	if !strings.Contains(read("app-jaeger.container"), "Image=localhost/mirror/jaeger:2\n") ||
		!strings.Contains(read("app-otel-collector.container"), "Image=localhost/otelcol:1\n") ||
		!strings.Contains(read("app-prometheus.container"), "Image="+ImagePrometheus+"\n") {
		t.Errorf("images not as asked: %v", res.Written)
	}
	if strings.Contains(strings.Join(res.Written, " "), "grafana") {
		t.Errorf("--without grafana wrote %v", res.Written)
	}
	if !strings.Contains(read(DropinPath("api.container")), "OTEL_EXPORTER_OTLP_ENDPOINT=http://app-otel-collector:4317") {
		t.Errorf("the service does not send to the collector:\n%s", read(DropinPath("api.container")))
	}
	// Without Jaeger the collector's traces go to its debug exporter.
	opts.Without[CompJaeger] = true
	if _, err := Add(dir, opts); err != nil {
		t.Fatal(err)
	}
	if c := read(pathCollector); strings.Contains(c, "otlp_grpc/jaeger") || !strings.Contains(c, "exporters: [debug]") {
		t.Errorf("collector config without Jaeger:\n%s", c)
	}
	if _, err := os.Stat(filepath.Join(dir, "app-jaeger.container")); !os.IsNotExist(err) {
		t.Errorf("--without jaeger kept app-jaeger.container")
	}
	// Without anything that receives OTLP no endpoint is injected.
	if _, err := Add(dir, Options{Without: map[string]bool{CompJaeger: true}}); err != nil {
		t.Fatal(err)
	}
	if d := read(DropinPath("api.container")); strings.Contains(d, "OTLP") {
		t.Errorf("an endpoint with nothing behind it:\n%s", d)
	}
	for _, bad := range []Options{
		{Images: map[string]string{"jager": "x"}},
		{Images: map[string]string{CompJaeger: "two words"}},
		{Without: map[string]bool{"tempo": true}},
		{Images: map[string]string{CompCollector: "x"}, Without: map[string]bool{CompCollector: true}},
	} {
		if _, err := Add(dir, bad); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
