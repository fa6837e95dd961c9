//go:build e2e

// End-to-end tests of berth's own observability on real podman: the
// supervisor's Prometheus metrics, and the OTLP spans of `berth up`.
package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

var obsWeb = map[string]string{"web.container": `[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-web
[Service]
Restart=always
RestartSec=500ms
`}

// freePort is a loopback port nothing listens on (a race with other
// processes is possible but unlikely for the seconds a test needs).
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// metricValue is the value of the first sample of name whose labels
// contain label, or -1 when there is none.
func metricValue(text, name, label string) float64 {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `\{([^}]*)\} (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		if strings.Contains(m[1], label) {
			v, _ := strconv.ParseFloat(m[2], 64)
			return v
		}
	}
	return -1
}

func scrape(t *testing.T, addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// berth's own /metrics shows a restart after a container is killed.
func TestObserveSupervisorMetricsShowRestart(t *testing.T) {
	s := newStack(t, obsWeb)
	addr := freePort(t)
	s.must("up", "-d", "--metrics-addr", addr)
	var text string
	eventually(t, 10*time.Second, "web ready in the metrics", func() bool {
		text = scrape(t, addr)
		return metricValue(text, "berth_service_ready", `service="web"`) == 1
	})
	if !strings.Contains(text, `stack="`+s.project+`"`) {
		t.Errorf("no stack label:\n%s", text)
	}
	if out := s.must("ps"); !strings.Contains(out, "supervisor metrics: http://"+addr+"/metrics") {
		t.Errorf("ps does not show the metrics address:\n%s", out)
	}
	podmanOut(t, "kill", s.project+"-web")
	took := eventually(t, 20*time.Second, "restarts_total >= 1", func() bool {
		text = scrape(t, addr)
		return metricValue(text, "berth_service_restarts_total", `service="web"`) >= 1 &&
			metricValue(text, "berth_service_ready", `service="web"`) == 1 &&
			metricValue(text, "berth_service_state", `state="running"`) == 1
	})
	t.Logf("restart in the metrics after %s", took)
	if v := metricValue(text, "berth_service_last_exit_code", `service="web"`); v != 137 {
		t.Errorf("last exit code %v, want 137 (SIGKILL)", v)
	}
	if v := metricValue(text, "berth_service_state", `state="running"`); v != 1 {
		t.Errorf("state running = %v\n%s", v, text)
	}
	if v := metricValue(text, "berth_service_start_duration_seconds_count", `service="web"`); v < 1 {
		t.Errorf("start duration count %v", v)
	}
	s.must("down")
	if scrape(t, addr) != "" {
		t.Errorf("metrics still served after down")
	}
}

// berth's /metrics shows the memory and CPU of a running service, sampled
// by the supervisor with podman stats.
func TestObserveSupervisorContainerStats(t *testing.T) {
	s := newStack(t, obsWeb)
	addr := freePort(t)
	s.must("up", "-d", "--metrics-addr", addr, "--stats-interval", "1s")
	var text string
	took := eventually(t, 20*time.Second, "a memory gauge > 0 for web", func() bool {
		text = scrape(t, addr)
		return metricValue(text, "berth_service_memory_bytes", `service="web"`) > 0
	})
	t.Logf("memory %v bytes in the metrics after %s", metricValue(text, "berth_service_memory_bytes", `service="web"`), took)
	if v := metricValue(text, "berth_service_cpu_seconds_total", `service="web"`); v < 0 {
		t.Errorf("no CPU counter for web:\n%s", text)
	}
	s.must("down")
}

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes every export.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []recvSpan
	bad   []string
}

type recvSpan struct {
	Service, Name, Trace, Parent, ID string
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var msg coltrace.ExportTraceServiceRequest
	r.mu.Lock()
	defer r.mu.Unlock()
	if req.Method != http.MethodPost || req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &msg) != nil {
		r.bad = append(r.bad, req.Method+" "+req.URL.Path+" "+req.Header.Get("Content-Type"))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	for _, rs := range msg.ResourceSpans {
		svc := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				svc = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				r.spans = append(r.spans, recvSpan{Service: svc, Name: sp.Name, Trace: fmt.Sprintf("%x", sp.TraceId),
					Parent: fmt.Sprintf("%x", sp.ParentSpanId), ID: fmt.Sprintf("%x", sp.SpanId)})
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	b, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	_, _ = w.Write(b)
}

func (r *otlpReceiver) find(name string) *recvSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.spans {
		if r.spans[i].Name == name {
			sp := r.spans[i]
			return &sp
		}
	}
	return nil
}

// A test OTLP receiver gets the spans of an up: the command, each unit's
// start under it, and the supervisor's span in the same trace.
func TestObserveUpSpansOverOTLP(t *testing.T) {
	s := newStack(t, stFiles)
	recv := &otlpReceiver{}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	env := append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT="+srv.URL, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	run := func(args ...string) {
		cmd := exec.Command(s.berth, append([]string{"-C", s.dir}, args...)...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	run("up", "-d", "--metrics-addr", "off")
	up := recv.find("berth up")
	if up == nil {
		t.Fatalf("no `berth up` span; got %+v (rejected: %q)", recv.spans, recv.bad)
	}
	if up.Service != "berth" {
		t.Errorf("service.name %q", up.Service)
	}
	for _, u := range []string{"kv.service", "web.service", "client.service", s.project + "-net-network.service"} {
		sp := recv.find("start " + u)
		if sp == nil || sp.Trace != up.Trace || sp.Parent != up.ID {
			t.Errorf("start %s: %+v, want a child of %+v", u, sp, up)
		}
	}
	eventually(t, 15*time.Second, "the supervisor's span (its batch is flushed at exit)", func() bool {
		if recv.find("berth supervise") == nil {
			_, _ = s.berthCmd("down") // the supervisor flushes its spans when it quits
		}
		sp := recv.find("berth supervise")
		return sp != nil && sp.Trace == up.Trace && sp.Parent == up.ID
	})
	run("down")
	if recv.find("berth down") == nil {
		t.Errorf("no `berth down` span")
	}
	t.Logf("%d spans received", len(recv.spans))
}
