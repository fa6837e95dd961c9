//go:build e2e

// End-to-end tests of the supervisor's life: the starts `up -d` made in its
// metrics, a supervisor that was SIGKILLed, and a foreground `up` next to a
// detached one.
package e2e

import (
	"testing"
	"time"
)

// The starts `up -d` timed are in the supervisor's start-duration metric
// before anything was restarted.
func TestSupervisorMetricsHaveInitialStarts(t *testing.T) {
	s := newStack(t, obsWeb)
	addr := freePort(t)
	s.must("up", "-d", "--metrics-addr", addr)
	var text string
	eventually(t, 10*time.Second, "web's start in the metrics", func() bool {
		text = scrape(t, addr)
		return metricValue(text, "berth_service_start_duration_seconds_count", `service="web"`) == 1
	})
	if v := metricValue(text, "berth_service_start_duration_seconds_sum", `service="web"`); v <= 0 || v > 30 {
		t.Errorf("start duration sum %v s", v)
	}
	if v := metricValue(text, "berth_service_restarts_total", `service="web"`); v != 0 {
		t.Errorf("restarts %v, want 0", v)
	}
	// A second up with nothing changed starts nothing: still one start.
	s.must("up", "-d", "--metrics-addr", addr)
	if v := metricValue(scrape(t, addr), "berth_service_start_duration_seconds_count", `service="web"`); v != 1 {
		t.Errorf("start count after an unchanged up: %v, want 1", v)
	}
	s.must("down")
}
