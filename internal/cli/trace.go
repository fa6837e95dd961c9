package cli

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.opentelemetry.io/otel/propagation"

	"github.com/berth-dev/berth/internal/observe"
)

// startTracing sets up berth's traces from the OTEL_* environment (a no-op
// without OTEL_EXPORTER_OTLP_ENDPOINT) and returns the function that flushes
// them before berth exits. A generator run never traces: systemd runs it
// early at boot, where nothing may wait on the network.
func (a *app) startTracing(ctx context.Context) func() {
	if isGeneratorName(a.argv0) {
		return func() {}
	}
	_, shutdown, err := observe.Tracer(ctx)
	if err != nil {
		fmt.Fprintf(a.stderr, "%s: warning: traces: %v\n", programName, err)
		return func() {}
	}
	return func() {
		// Spans are batched: without this flush a short verb exports nothing.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			fmt.Fprintf(a.stderr, "%s: warning: traces: %v\n", programName, err)
		}
	}
}

// traceParent returns ctx with the span context of $TRACEPARENT (W3C trace
// context), so that berth's spans join the trace of whoever started it: a
// CI job, or the `up -d` that started a supervisor.
func traceParent(ctx context.Context) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	tp := os.Getenv("TRACEPARENT")
	if tp == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": tp})
}

// traceEnv is the TRACEPARENT entry that hands ctx's span to a child
// process, or nil when ctx has no span being recorded.
func traceEnv(ctx context.Context) []string {
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, c)
	if v := c["traceparent"]; v != "" {
		return []string{"TRACEPARENT=" + v}
	}
	return nil
}
