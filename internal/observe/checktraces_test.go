package observe

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeJaeger answers /api/services and /api/traces as Jaeger's query API
// does (the JSON shape of Jaeger v2's HTTP API), from spans it was given.
type fakeJaeger struct {
	spans map[string][]int64 // service -> span start times (µs)
	asked []string
}

func (f *fakeJaeger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.asked = append(f.asked, r.URL.RequestURI())
	switch r.URL.Path {
	case "/api/services":
		var names []string
		for s := range f.spans {
			names = append(names, fmt.Sprintf("%q", s))
		}
		fmt.Fprintf(w, `{"data":[%s],"total":%d,"limit":0,"offset":0,"errors":null}`, strings.Join(names, ","), len(names))
	case "/api/traces":
		svc := r.URL.Query().Get("service")
		var spans []string
		for i, t := range f.spans[svc] {
			spans = append(spans, fmt.Sprintf(`{"traceID":"t%d","spanID":"s%d","operationName":"GET /healthz","startTime":%d,"duration":5,"processID":"p1"}`, i, i, t))
		}
		fmt.Fprintf(w, `{"data":[{"traceID":"t0","spans":[%s],"processes":{"p1":{"serviceName":%q,"tags":[]}}}],"total":0,"limit":0,"offset":0,"errors":null}`,
			strings.Join(spans, ","), svc)
	default:
		http.NotFound(w, r)
	}
}

func traceStack(t *testing.T, units map[string]string) *Stack {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	for name, text := range units {
		writeFile(t, filepath.Join(dir, name), text)
	}
	st, err := LoadStack(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestCheckTraces(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	recent, old := now.Add(-time.Minute).UnixMicro(), now.Add(-time.Hour).UnixMicro()
	fj := &fakeJaeger{spans: map[string][]int64{"api": {recent, recent + 10, old}, "worker": {old}, "unknown_service:agent": {recent}}}
	srv := httptest.NewServer(fj)
	defer srv.Close()
	st := traceStack(t, map[string]string{
		// Sends, under the name of its drop-in.
		"api.container": svcUnit("io.berth.otel=true") + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:4317\n",
		// Sent, but not lately.
		"worker.container": svcUnit("io.berth.otel=true") + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4317\n",
		// Each of these gets its own fix.
		"noenv.container":  svcUnit("io.berth.otel=true"),
		"local.container":  svcUnit() + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317\n",
		"typo.container":   svcUnit() + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://jaegar:4317 OTEL_SERVICE_NAME=typo\n",
		"proto.container":  svcUnit() + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:4318 OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n",
		"port.container":   svcUnit() + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:14268\n",
		"othnet.container": "[Container]\nImage=x\nNetwork=other\nEnvironment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:4317\n",
		"quiet.container":  svcUnit("io.berth.metrics=8000"),
	})
	got, err := CheckTraces(context.Background(), st, HTTPGetter{}, TraceOptions{JaegerURL: srv.URL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]TraceCheck{}
	for _, c := range got {
		by[c.Service] = c
	}
	if len(got) != 8 || by["quiet"].Unit != "" {
		t.Fatalf("checked %d services (quiet declares no tracing): %+v", len(got), got)
	}
	if c := by["api"]; !c.OK() || c.Spans != 2 || c.Traces != 1 || !c.Latest.Equal(time.UnixMicro(recent+10).UTC()) || len(c.Fixes) != 0 {
		t.Errorf("api: %+v", c)
	}
	wantFix := map[string][]string{
		"worker": {"Jaeger has spans of \"worker\", but none from the last 10m0s"},
		"noenv":  {"has no OTEL_EXPORTER_OTLP_ENDPOINT: run berth observe add", "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-jaeger:4317"},
		"local":  {"inside a container localhost is the container itself; use http://app-jaeger:4317", "Jaeger has spans of \"unknown_service:agent\""},
		"typo":   {"jaegar is not Jaeger or the collector on network app-net"},
		"proto":  {"port 4318 is OTLP/HTTP but OTEL_EXPORTER_OTLP_PROTOCOL=grpc"},
		"port":   {"not on \"14268\""},
		"othnet": {"othnet.container is not on app.network, where Jaeger is: add Network=app.network"},
	}
	for svc, wants := range wantFix {
		c := by[svc]
		all := strings.Join(c.Fixes, "\n")
		if c.OK() {
			t.Errorf("%s: OK with %d spans", svc, c.Spans)
		}
		for _, w := range wants {
			if !strings.Contains(all, w) {
				t.Errorf("%s: fixes lack %q:\n%s", svc, w, all)
			}
		}
	}
	// One service by name; a service without tracing is refused.
	if one, err := CheckTraces(context.Background(), st, HTTPGetter{}, TraceOptions{JaegerURL: srv.URL, Service: "api"}); err != nil || len(one) != 1 {
		t.Errorf("--service api: %v %+v", err, one)
	}
	if _, err := CheckTraces(context.Background(), st, HTTPGetter{}, TraceOptions{JaegerURL: srv.URL, Service: "quiet"}); err == nil ||
		!strings.Contains(err.Error(), "declares no tracing") {
		t.Errorf("quiet: %v", err)
	}
}

func TestCheckTracesJaegerDown(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	st := traceStack(t, map[string]string{"api.container": svcUnit("io.berth.otel=true")})
	_, err := CheckTraces(context.Background(), st, HTTPGetter{}, TraceOptions{JaegerURL: url})
	if err == nil || !strings.Contains(err.Error(), "is app-jaeger running") {
		t.Errorf("err = %v", err)
	}
}

// A collector in between is a receiver as good as Jaeger.
func TestCheckTracesCollectorEndpoint(t *testing.T) {
	srv := httptest.NewServer(&fakeJaeger{spans: map[string][]int64{}})
	defer srv.Close()
	st := traceStack(t, map[string]string{
		"api.container": svcUnit() + "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://app-otel-collector:4317\n"})
	for _, collector := range []bool{false, true} {
		got, err := CheckTraces(context.Background(), st, HTTPGetter{}, TraceOptions{JaegerURL: srv.URL, Collector: collector})
		if err != nil {
			t.Fatal(err)
		}
		bad := strings.Contains(strings.Join(got[0].Fixes, "\n"), "is not Jaeger or the collector")
		if bad == collector {
			t.Errorf("collector=%v: fixes %q", collector, got[0].Fixes)
		}
	}
}
