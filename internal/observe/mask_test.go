package observe

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/berth-dev/berth/internal/podman"
)

// TestSpansAndLabelsMasked: span names, string attributes, recorded errors
// and metric label values go through the same Masker as everything berth
// prints.
func TestSpansAndLabelsMasked(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(prev) })

	m := podman.NewMasker("span-secret-1")
	ctx := WithMasker(context.Background(), m)
	_, end := Start(ctx, "start span-secret-1.service", attribute.String("db.url", "postgres://u:urlpw2@db/x"),
		attribute.String("api_token", "tok3"), AttrUnit.String("web.service"))
	end(errors.New("web.service: ExecStart failed\n  command: podman run --env DB_PASS=pw4 --env X=span-secret-1"))
	var all strings.Builder
	for _, s := range rec.Ended() {
		all.WriteString(s.Name() + " " + s.Status().Description)
		for _, a := range s.Attributes() {
			all.WriteString(" " + string(a.Key) + "=" + a.Value.Emit())
		}
		for _, e := range s.Events() {
			for _, a := range e.Attributes {
				all.WriteString(" " + a.Value.Emit())
			}
		}
	}
	got := all.String()
	for _, secret := range []string{"span-secret-1", "urlpw2", "tok3", "pw4"} {
		if strings.Contains(got, secret) {
			t.Errorf("span shows %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "unit=web.service") {
		t.Errorf("unmasked attributes changed: %s", got)
	}

	mt := NewMetrics("proj")
	mt.Mask = m
	mt.SetState("span-secret-1", "running")
	body := scrapeMetrics(mt)
	if strings.Contains(body, "span-secret-1") || !strings.Contains(body, `service="******"`) {
		t.Errorf("label not masked:\n%s", body)
	}
}

func scrapeMetrics(m *Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return rec.Body.String()
}
