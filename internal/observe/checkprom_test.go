package observe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

// fakePrometheus answers /api/v1/targets and /api/v1/query the way
// Prometheus's HTTP API does.
func fakePrometheus(t *testing.T, targets, upResult string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/targets":
			fmt.Fprintf(w, `{"status":"success","data":{"activeTargets":[%s],"droppedTargets":[]}}`, targets)
		case "/api/v1/query":
			if q := r.URL.Query().Get("query"); q != `up{job="app"}` {
				t.Errorf("query %q", q)
			}
			fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s]}}`, upResult)
		default:
			http.NotFound(w, r)
		}
	}))
}

func TestCheckMetricsAsksPrometheus(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.metrics=8000/metrics"))
	writeFile(t, filepath.Join(dir, "web.container"), svcUnit("io.berth.metrics=8080/metrics"))
	writeFile(t, filepath.Join(dir, "new.container"), svcUnit("io.berth.metrics=8081/metrics"))
	st, err := LoadStack(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	prom := fakePrometheus(t,
		`{"labels":{"job":"app","service":"api","instance":"systemd-api:8000"},"scrapeUrl":"http://systemd-api:8000/metrics","lastError":"","lastScrape":"2026-12-04T12:00:00Z","health":"up"},
		 {"labels":{"job":"app","service":"web","instance":"systemd-web:8080"},"scrapeUrl":"http://systemd-web:8080/metrics","lastError":"Get \"http://systemd-web:8080/metrics\": dial tcp: lookup systemd-web: no such host","lastScrape":"2026-12-04T12:00:00Z","health":"down"},
		 {"labels":{"job":"other","service":"new"},"health":"up"}`,
		`{"metric":{"__name__":"up","job":"app","service":"api"},"value":[1733313600.1,"1"]},
		 {"metric":{"__name__":"up","job":"app","service":"web"},"value":[1733313600.1,"0"]}`)
	defer prom.Close()
	stub := &podman.Stub{}
	stub.On("podman image exists "+TestClientImage, 0, "")
	for _, u := range []string{"http://systemd-api:8000/metrics", "http://systemd-web:8080/metrics", "http://systemd-new:8081/metrics"} {
		stub.On("podman run --rm --pull=never --network app-net "+TestClientImage+" -timeout 15s -get "+u, 0, sampleMetrics)
	}
	got, err := CheckMetrics(context.Background(), st, stub, CheckOptions{PrometheusURL: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]MetricsCheck{}
	for _, c := range got {
		by[c.Service] = c
	}
	if c := by["api"]; !c.OK() || c.Prometheus.Health != "up" || c.PromProblem != "" {
		t.Errorf("api: %+v %+v", c, c.Prometheus)
	}
	if c := by["web"]; c.OK() || *c.Prometheus.Up != 0 || !strings.Contains(c.PromProblem, "last scrape failed: Get") {
		t.Errorf("web: %+v", c)
	}
	if c := by["new"]; c.OK() || c.Prometheus.Up != nil || !strings.Contains(c.PromProblem, "no target for new: run berth observe add again") {
		t.Errorf("new: %+v", c)
	}
	// Prometheus not answering fails every check with what to do.
	prom.Close()
	got, err = CheckMetrics(context.Background(), st, stub, CheckOptions{PrometheusURL: prom.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].OK() || !strings.Contains(got[0].PromProblem, "is app-prometheus running") {
		t.Errorf("down: %+v", got[0])
	}
}
