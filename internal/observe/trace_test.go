package observe

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// receiver collects the spans a test OTLP server is sent.
type receiver struct {
	coltracepb.UnimplementedTraceServiceServer
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes
}

func (r *receiver) add(req *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.ResourceSpans {
		for _, a := range rs.GetResource().GetAttributes() {
			r.attrs[a.Key] = a.GetValue().GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
}

// Export implements the OTLP gRPC trace service.
func (r *receiver) Export(_ context.Context, req *coltracepb.ExportTraceServiceRequest) (*coltracepb.ExportTraceServiceResponse, error) {
	r.add(req)
	return &coltracepb.ExportTraceServiceResponse{}, nil
}

// ServeHTTP implements OTLP/HTTP with protobuf bodies.
func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	var msg coltracepb.ExportTraceServiceRequest
	if err != nil || req.URL.Path != "/v1/traces" || proto.Unmarshal(body, &msg) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	r.add(&msg)
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func newReceiver() *receiver { return &receiver{attrs: map[string]string{}} }

// emit sends an "up" span with a failed unit start under it.
func emit(t *testing.T) {
	t.Helper()
	_, shutdown, err := Tracer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, endUp := StartCommand(context.Background(), "up", "app")
	_, endUnit := StartUnit(ctx, "start", "web.service")
	endUnit(errors.New("exit 1"))
	endUp(nil)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := shutdown(sctx); err != nil {
		t.Fatalf("shutdown (flush): %v", err)
	}
}

func (r *receiver) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	byName := map[string]*tracepb.Span{}
	for _, s := range r.spans {
		byName[s.Name] = s
	}
	up, unit := byName["berth up"], byName["start web.service"]
	if up == nil || unit == nil {
		t.Fatalf("spans received: %v", r.spans)
	}
	if string(unit.ParentSpanId) != string(up.SpanId) {
		t.Errorf("the unit's span is not a child of up's")
	}
	if unit.Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR || unit.Status.GetMessage() != "exit 1" {
		t.Errorf("unit span status: %v", unit.Status)
	}
	if r.attrs["service.name"] != "berth" {
		t.Errorf("resource attributes: %v", r.attrs)
	}
}

func TestTracerOTLPHTTP(t *testing.T) {
	r := newReceiver()
	srv := httptest.NewServer(r)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "")
	emit(t)
	r.check(t)
}

func TestTracerOTLPGRPC(t *testing.T) {
	r := newReceiver()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	coltracepb.RegisterTraceServiceServer(gs, r)
	go func() { _ = gs.Serve(l) }()
	defer gs.Stop()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://"+l.Addr().String())
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
	emit(t)
	r.check(t)
}

func TestTracerNoop(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	tr, shutdown, err := Tracer(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, span := tr.Start(context.Background(), "x")
	if span.SpanContext().IsValid() {
		t.Error("a span was recorded without an endpoint")
	}
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestOTLPProtocol(t *testing.T) {
	for _, c := range []struct{ env, endpoint, want string }{
		{"", "http://jaeger:4317", "grpc"},
		{"", "http://jaeger:4318", "http/protobuf"},
		{"grpc", "http://jaeger:4318", "grpc"},
		{"http/json", "http://x:1", ""},
	} {
		t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", c.env)
		got, err := otlpProtocol(c.endpoint)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("%q %q: %q %v", c.env, c.endpoint, got, err)
		}
	}
}
