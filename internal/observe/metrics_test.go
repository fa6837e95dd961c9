package observe

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsRecordServices(t *testing.T) {
	m := NewMetrics("app")
	m.SetState("db", "starting")
	m.ServiceStarted("db", 1500*time.Millisecond)
	m.SetState("db", "running")
	m.HealthChecked("db", true, 20*time.Millisecond)
	m.HealthChecked("db", false, 3*time.Second)
	m.ServiceExited("db", 137)
	m.ServiceRestarted("db")
	m.ContainerStats("db", 2*time.Second, 1<<20)
	m.ContainerStats("db", 3*time.Second, 2<<20)

	want := `
# HELP berth_service_state 1 for the state a service is in (starting, running, exited, failed, stopped...), 0 for the others it has been in.
# TYPE berth_service_state gauge
berth_service_state{service="db",stack="app",state="running"} 1
berth_service_state{service="db",stack="app",state="starting"} 0
# HELP berth_service_restarts_total Restarts of the service by its Restart= policy.
# TYPE berth_service_restarts_total counter
berth_service_restarts_total{service="db",stack="app"} 1
# HELP berth_service_last_exit_code Exit code of the service's last run (128+N for signal N).
# TYPE berth_service_last_exit_code gauge
berth_service_last_exit_code{service="db",stack="app"} 137
# HELP berth_service_ready 1 when the service has started and is ready (sd_notify READY or health check passed).
# TYPE berth_service_ready gauge
berth_service_ready{service="db",stack="app"} 0
# HELP berth_service_healthy 1 when the last health check passed, 0 when it failed; absent without a health check.
# TYPE berth_service_healthy gauge
berth_service_healthy{service="db",stack="app"} 0
# HELP berth_service_healthcheck_failures_total Health checks that failed.
# TYPE berth_service_healthcheck_failures_total counter
berth_service_healthcheck_failures_total{service="db",stack="app"} 1
# HELP berth_service_cpu_seconds_total CPU time the service's container has used, as podman stats reports it.
# TYPE berth_service_cpu_seconds_total counter
berth_service_cpu_seconds_total{service="db",stack="app"} 3
# HELP berth_service_memory_bytes Memory the service's container uses, as podman stats reports it.
# TYPE berth_service_memory_bytes gauge
berth_service_memory_bytes{service="db",stack="app"} 2.097152e+06
`
	names := []string{MetricState, MetricRestarts, MetricLastExit, MetricReady, MetricHealthy, MetricHealthFailures, MetricCPU, MetricMemory}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(m.healthDuration); n != 1 {
		t.Errorf("health duration series: %d", n)
	}
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(`
# HELP berth_service_start_duration_seconds Time from starting a service to it being ready.
# TYPE berth_service_start_duration_seconds histogram
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="0.1"} 0
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="0.25"} 0
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="0.5"} 0
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="1"} 0
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="2.5"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="5"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="10"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="30"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="60"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="120"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="300"} 1
berth_service_start_duration_seconds_bucket{service="db",stack="app",le="+Inf"} 1
berth_service_start_duration_seconds_sum{service="db",stack="app"} 1.5
berth_service_start_duration_seconds_count{service="db",stack="app"} 1
`), MetricStartDuration); err != nil {
		t.Error(err)
	}
	if lint, err := testutil.GatherAndLint(m.Registry); err != nil || len(lint) > 0 {
		t.Errorf("lint: %v %v", lint, err)
	}
	m.Forget("db")
	if n, _ := testutil.GatherAndCount(m.Registry); n != 0 {
		t.Errorf("%d series left after Forget", n)
	}
}

func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.SetState("x", "running")
	m.ServiceStarted("x", time.Second)
	m.ServiceRestarted("x")
	m.HealthChecked("x", true, time.Second)
	m.ContainerStats("x", time.Second, 1)
	m.Forget("x")
}

func TestServeOnLoopback(t *testing.T) {
	m := NewMetrics("app")
	m.ServiceRestarted("web")
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.ServeListener(ctx, l) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `berth_service_restarts_total{service="web",stack="app"} 1`) {
		t.Errorf("metrics page:\n%s", body)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
}
