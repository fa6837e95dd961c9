package observe

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime/debug"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/berth-dev/berth/internal/podman"
)

// TracerName is the instrumentation scope of berth's spans.
const TracerName = "github.com/berth-dev/berth"

// Span attribute keys.
const (
	AttrStack = attribute.Key("berth.stack")
	AttrUnit  = attribute.Key("berth.unit")
	AttrVerb  = attribute.Key("berth.verb")
)

// Shutdown flushes and stops tracing; call it before berth exits.
type Shutdown func(context.Context) error

// Tracer sets up berth's traces from the standard environment: with
// OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) set, spans go to that
// OTLP receiver over gRPC or HTTP/protobuf, as OTEL_EXPORTER_OTLP_PROTOCOL
// (or ..._TRACES_PROTOCOL) says; unset, port 4317 means gRPC and anything
// else HTTP. Without an endpoint, or with OTEL_SDK_DISABLED=true, it is a
// no-op. The provider becomes the global one, so Start works anywhere.
func Tracer(ctx context.Context) (trace.Tracer, Shutdown, error) {
	noopShutdown := func(context.Context) error { return nil }
	endpoint := firstEnv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
	if endpoint == "" || strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") ||
		os.Getenv("OTEL_TRACES_EXPORTER") == "none" {
		tp := noop.NewTracerProvider()
		otel.SetTracerProvider(tp)
		return tp.Tracer(TracerName), noopShutdown, nil
	}
	proto, err := otlpProtocol(endpoint)
	if err != nil {
		return nil, noopShutdown, err
	}
	var exp sdktrace.SpanExporter
	if proto == "grpc" {
		exp, err = otlptracegrpc.New(ctx)
	} else {
		exp, err = otlptracehttp.New(ctx)
	}
	if err != nil {
		return nil, noopShutdown, fmt.Errorf("OTLP trace exporter for %s: %w (check OTEL_EXPORTER_OTLP_ENDPOINT)", endpoint, err)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", "berth"),
			attribute.String("service.version", berthVersion())))
	if err != nil {
		return nil, noopShutdown, fmt.Errorf("trace resource: %w (check OTEL_RESOURCE_ATTRIBUTES)", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	return tp.Tracer(TracerName), tp.Shutdown, nil
}

func berthVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "unknown"
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

// otlpProtocol is "grpc" or "http/protobuf".
func otlpProtocol(endpoint string) (string, error) {
	p := firstEnv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	switch p {
	case "grpc", "http/protobuf":
		return p, nil
	case "":
		if u, err := url.Parse(endpoint); err == nil && u.Port() == "4317" {
			return "grpc", nil
		}
		return "http/protobuf", nil
	}
	return "", fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s is not supported by berth: use grpc or http/protobuf", p)
}

// End finishes a span, recording err as its error status.
type End func(err error)

// Start starts a span under ctx's span on the global tracer (the one Tracer
// set up, else a no-op).
// Span names, string attributes and errors are masked with ctx's Masker
// (WithMasker), as everything berth prints.
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, End) {
	m := maskerFrom(ctx)
	masked := make([]attribute.KeyValue, len(attrs))
	for i, a := range attrs {
		masked[i] = a
		if a.Value.Type() == attribute.STRING {
			masked[i] = attribute.String(string(a.Key), m.Value(string(a.Key), a.Value.AsString()))
		}
	}
	ctx, span := otel.Tracer(TracerName).Start(ctx, m.Text(name), trace.WithAttributes(masked...))
	return ctx, func(err error) {
		if err != nil {
			msg := m.Text(err.Error())
			span.RecordError(errors.New(msg))
			span.SetStatus(codes.Error, msg)
		}
		span.End()
	}
}

type maskerKey struct{}

// WithMasker returns ctx carrying the Masker spans use.
func WithMasker(ctx context.Context, m *podman.Masker) context.Context {
	return context.WithValue(ctx, maskerKey{}, m)
}

func maskerFrom(ctx context.Context) *podman.Masker {
	m, _ := ctx.Value(maskerKey{}).(*podman.Masker)
	return m
}

// StartCommand starts the span of a berth verb (up, down, install...) on a
// stack: "berth up".
func StartCommand(ctx context.Context, verb, stack string) (context.Context, End) {
	return Start(ctx, "berth "+verb, AttrVerb.String(verb), AttrStack.String(stack))
}

// StartUnit starts the span of one unit's start (or another action):
// "start web.service".
func StartUnit(ctx context.Context, action, unit string) (context.Context, End) {
	return Start(ctx, action+" "+unit, AttrUnit.String(unit))
}
