package cli

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// berth check traces against a Jaeger query API: exit 0 when every traced
// service sent spans, 1 with the fix when one did not.
func TestCheckTracesCLI(t *testing.T) {
	start := time.Now().Add(-time.Minute).UnixMicro()
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/services":
			fmt.Fprint(w, `{"data":["api"]}`)
		case "/api/traces":
			svc := r.URL.Query().Get("service")
			fmt.Fprintf(w, `{"data":[{"traceID":"t","spans":[{"processID":"p","startTime":%d}],"processes":{"p":{"serviceName":%q}}}]}`, start, svc)
		}
	}))
	defer jaeger.Close()
	dir := filepath.Join(t.TempDir(), "app")
	files := map[string]string{
		"app.network":   "[Network]\n",
		"api.container": "[Container]\nImage=x\nNetwork=app.network\nLabel=io.berth.otel=true\nEnvironment=OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4317\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	a, stdout, stderr := testApp("berth", nil)
	if code := a.run([]string{"-C", dir, "check", "traces", "--jaeger", jaeger.URL}); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "api  ") || !strings.Contains(stdout.String(), "http://jaeger:4317") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// A second service that sends nowhere fails the check with its fix.
	if err := os.WriteFile(filepath.Join(dir, "worker.container"), []byte("[Container]\nImage=x\nNetwork=app.network\nLabel=io.berth.otel=true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, stdout, stderr = testApp("berth", nil)
	if code := a.run([]string{"-C", dir, "check", "traces", "--jaeger", jaeger.URL}); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout.String(), "worker: no spans in the last 10m0s: worker.container has no OTEL_EXPORTER_OTLP_ENDPOINT: run berth observe add") {
		t.Errorf("stdout:\n%s", stdout)
	}
	// observe add: --image and --without, and a refused component name.
	a, stdout, stderr = testApp("berth", nil)
	if code := a.run([]string{"-C", dir, "observe", "add", "--image", "jaeger=localhost/j:2", "--without", "grafana,collector"}); code != 0 {
		t.Fatalf("observe add: exit %d\n%s%s", code, stdout, stderr)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "app-jaeger.container")); !strings.Contains(string(data), "Image=localhost/j:2\n") {
		t.Errorf("jaeger unit:\n%s", data)
	}
	if _, err := os.Stat(filepath.Join(dir, "app-grafana.container")); !os.IsNotExist(err) {
		t.Errorf("--without grafana wrote grafana")
	}
	a, _, stderr = testApp("berth", nil)
	if code := a.run([]string{"-C", dir, "observe", "add", "--without", "tempo"}); code == 0 || !strings.Contains(stderr.String(), "--without tempo: unknown component") {
		t.Errorf("--without tempo: exit %d, %s", code, stderr)
	}
}
