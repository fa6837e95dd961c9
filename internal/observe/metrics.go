package observe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/berth-dev/berth/internal/podman"
)

// DefaultMetricsPort is where berth serves its own metrics unless told
// otherwise; DefaultMetricsAddr keeps them on loopback.
const (
	DefaultMetricsPort = 9479
	DefaultMetricsAddr = "127.0.0.1:9479"
)

// Names of berth's own metrics (the generated dashboard queries them).
const (
	MetricState          = "berth_service_state"
	MetricReady          = "berth_service_ready"
	MetricHealthy        = "berth_service_healthy"
	MetricRestarts       = "berth_service_restarts_total"
	MetricLastExit       = "berth_service_last_exit_code"
	MetricStartDuration  = "berth_service_start_duration_seconds"
	MetricHealthDuration = "berth_service_healthcheck_duration_seconds"
	MetricHealthFailures = "berth_service_healthcheck_failures_total"
	MetricCPU            = "berth_service_cpu_seconds_total"
	MetricMemory         = "berth_service_memory_bytes"
)

// Metrics are the metrics of one supervised stack, in a registry of their
// own (never prometheus.DefaultRegisterer). Every method is safe for
// concurrent use and a nil *Metrics does nothing, so callers need no checks.
type Metrics struct {
	Registry *prometheus.Registry

	state          *prometheus.GaugeVec
	ready          *prometheus.GaugeVec
	healthy        *prometheus.GaugeVec
	restarts       *prometheus.CounterVec
	lastExit       *prometheus.GaugeVec
	startDuration  *prometheus.HistogramVec
	healthDuration *prometheus.HistogramVec
	healthFailures *prometheus.CounterVec
	cpu            *prometheus.CounterVec
	memory         *prometheus.GaugeVec

	// Mask hides credentials in label values (nil: by name and URL).
	Mask *podman.Masker

	mu     sync.Mutex
	states map[string]map[string]bool // service -> states seen
	cpuAt  map[string]float64         // service -> last CPU seconds reported
}

// NewMetrics returns the metrics of a stack; every series carries
// stack=STACK.
func NewMetrics(stack string) *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry(), states: map[string]map[string]bool{}, cpuAt: map[string]float64{}}
	c := prometheus.Labels{"stack": (*podman.Masker)(nil).Text(stack)}
	svc := []string{"service"}
	gauge := func(name, help string, labels []string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: c}, labels)
	}
	counter := func(name, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: c}, svc)
	}
	histogram := func(name, help string, buckets []float64) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, ConstLabels: c, Buckets: buckets}, svc)
	}
	m.state = gauge(MetricState, "1 for the state a service is in (starting, running, exited, failed, stopped...), 0 for the others it has been in.", []string{"service", "state"})
	m.ready = gauge(MetricReady, "1 when the service has started and is ready (sd_notify READY or health check passed).", svc)
	m.healthy = gauge(MetricHealthy, "1 when the last health check passed, 0 when it failed; absent without a health check.", svc)
	m.restarts = counter(MetricRestarts, "Restarts of the service by its Restart= policy.")
	m.lastExit = gauge(MetricLastExit, "Exit code of the service's last run (128+N for signal N).", svc)
	m.startDuration = histogram(MetricStartDuration, "Time from starting a service to it being ready.",
		[]float64{.1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300})
	m.healthDuration = histogram(MetricHealthDuration, "Time a health check took.",
		[]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30})
	m.healthFailures = counter(MetricHealthFailures, "Health checks that failed.")
	m.cpu = counter(MetricCPU, "CPU time the service's container has used, as podman stats reports it.")
	m.memory = gauge(MetricMemory, "Memory the service's container uses, as podman stats reports it.", svc)
	m.Registry.MustRegister(m.state, m.ready, m.healthy, m.restarts, m.lastExit, m.startDuration,
		m.healthDuration, m.healthFailures, m.cpu, m.memory)
	return m
}

// label is a label value as printed: masked like everything berth prints.
func (m *Metrics) label(v string) string { return m.Mask.Text(v) }

// SetState records the state a service is in now.
func (m *Metrics) SetState(service, state string) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.states[service]
	if seen == nil {
		seen = map[string]bool{}
		m.states[service] = seen
	}
	seen[state] = true
	for s := range seen {
		v := 0.0
		if s == state {
			v = 1
		}
		m.state.WithLabelValues(service, s).Set(v)
	}
}

// ServiceStarted records a start that took d until the service was ready.
func (m *Metrics) ServiceStarted(service string, d time.Duration) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.startDuration.WithLabelValues(service).Observe(d.Seconds())
	m.ready.WithLabelValues(service).Set(1)
	m.restarts.WithLabelValues(service).Add(0) // the series exists from the first start
}

// ServiceExited records the end of a run with its exit code (128+N for
// signal N); the service is no longer ready.
func (m *Metrics) ServiceExited(service string, code int) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.lastExit.WithLabelValues(service).Set(float64(code))
	m.ready.WithLabelValues(service).Set(0)
}

// ServiceRestarted counts a restart by the Restart= policy.
func (m *Metrics) ServiceRestarted(service string) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.restarts.WithLabelValues(service).Inc()
}

// SetReady sets whether a service is ready.
func (m *Metrics) SetReady(service string, ready bool) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.ready.WithLabelValues(service).Set(b2f(ready))
}

// HealthChecked records one health check: its outcome and how long it took.
func (m *Metrics) HealthChecked(service string, ok bool, d time.Duration) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.healthDuration.WithLabelValues(service).Observe(d.Seconds())
	m.healthy.WithLabelValues(service).Set(b2f(ok))
	f := m.healthFailures.WithLabelValues(service)
	if !ok {
		f.Inc()
	}
}

// ContainerStats records a container's total CPU time and current memory
// (from podman stats); CPU time that went down (a new container) restarts
// the count from there.
func (m *Metrics) ContainerStats(service string, cpu time.Duration, memBytes uint64) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.mu.Lock()
	last := m.cpuAt[service]
	now := cpu.Seconds()
	m.cpuAt[service] = now
	m.mu.Unlock()
	if now > last {
		m.cpu.WithLabelValues(service).Add(now - last)
	} else if now < last {
		m.cpu.WithLabelValues(service).Add(now)
	}
	m.memory.WithLabelValues(service).Set(float64(memBytes))
}

// Forget drops every series of a service (it left the stack).
func (m *Metrics) Forget(service string) {
	if m == nil {
		return
	}
	service = m.label(service)
	m.mu.Lock()
	delete(m.states, service)
	delete(m.cpuAt, service)
	m.mu.Unlock()
	l := prometheus.Labels{"service": service}
	for _, v := range []interface{ DeletePartialMatch(prometheus.Labels) int }{m.state, m.ready, m.healthy,
		m.restarts, m.lastExit, m.startDuration, m.healthDuration, m.healthFailures, m.cpu, m.memory} {
		v.DeletePartialMatch(l)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// Listen binds addr ("" means DefaultMetricsAddr). An address that is not
// loopback is allowed (Prometheus in a container must reach it) but is the
// caller's explicit choice.
func Listen(addr string) (net.Listener, error) {
	if addr == "" {
		addr = DefaultMetricsAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: cannot listen on %s: %w (pass another --metrics-addr, e.g. 127.0.0.1:0)", addr, err)
	}
	return l, nil
}

// Serve serves /metrics on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string) error {
	l, err := Listen(addr)
	if err != nil {
		return err
	}
	return m.ServeListener(ctx, l)
}

// ServeListener serves /metrics on l until ctx ends, then closes it.
func (m *Metrics) ServeListener(ctx context.Context, l net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "berth: metrics are at /metrics")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	err := srv.Serve(l)
	stop()
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// StateNames lists the states recorded for a service, sorted (for tests and
// status output).
func (m *Metrics) StateNames(service string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for s := range m.states[m.label(service)] {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
