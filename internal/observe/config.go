package observe

import (
	"fmt"
	"strconv"
	"strings"
)

// Paths of the generated configuration, relative to the stack folder.
const (
	ConfigDir        = "observe"
	pathPrometheus   = "observe/prometheus/prometheus.yml"
	pathTargets      = "observe/prometheus/targets.yml"
	pathDatasources  = "observe/grafana/provisioning/datasources/berth.yml"
	pathDashProvider = "observe/grafana/provisioning/dashboards/berth.yml"
	pathJaeger       = "observe/jaeger/config.yaml"
	pathCollector    = "observe/otel-collector/config.yaml"
)

func dashboardPath(stack string) string { return "observe/grafana/dashboards/" + stack + ".json" }

// yq quotes a string for YAML (a JSON string is a YAML string).
func yq(s string) string { return strconv.Quote(s) }

// hostPort is "HOST:PORT", quoted for YAML.
func hostPort(host string, port int) string { return yq(host + ":" + strconv.Itoa(port)) }

// configs adds the generated configuration files to files.
func configs(st *Stack, opts Options, files map[string][]byte) error {
	if opts.Has(CompPrometheus) {
		files[pathPrometheus] = []byte(prometheusYAML(st, opts))
		files[pathTargets] = []byte(targetsYAML(st))
	}
	if opts.Has(CompGrafana) {
		files[pathDatasources] = []byte(datasourcesYAML(st, opts))
		files[pathDashProvider] = []byte(dashProviderYAML())
		dash, err := dashboardJSON(st, opts)
		if err != nil {
			return err
		}
		files[dashboardPath(st.Name)] = dash
	}
	if opts.Has(CompJaeger) {
		files[pathJaeger] = []byte(jaegerYAML())
	}
	if opts.Has(CompCollector) {
		files[pathCollector] = []byte(collectorYAML(st, opts))
	}
	return nil
}

func prometheusYAML(st *Stack, opts Options) string {
	n := names{st.Name}
	var b strings.Builder
	b.WriteString(markerLine)
	fmt.Fprintf(&b, `global:
  scrape_interval: 15s
  evaluation_interval: 15s
  external_labels:
    stack: %s
scrape_configs:
  # The stack's services that declare Label=%s=PORT/PATH, scraped by
  # container name on %s. The targets are in targets.yml,
  # which berth observe add rewrites and Prometheus re-reads by itself.
  - job_name: %s
    file_sd_configs:
      - files: [/etc/prometheus/berth/targets.yml]
  - job_name: prometheus
    static_configs:
      - targets: [%s]
  # berth's own metrics, served by the berth that supervises the stack
  # (berth up -d --metrics-addr ADDR). Containers reach the host as
  # host.containers.internal, so ADDR must be an address they can reach
  # (the default, loopback, is not): this target is down until then.
  - job_name: berth
    static_configs:
      - targets: [%s]
        labels:
          stack: %s
`, yq(st.Name), LabelMetrics, st.NetworkName, yq(st.Name), hostPort("localhost", PortPrometheus),
		hostPort("host.containers.internal", opts.berthPort()), yq(st.Name))
	if opts.Has(CompJaeger) {
		fmt.Fprintf(&b, `  # Jaeger's own metrics (spans received, stored, dropped).
  - job_name: jaeger
    static_configs:
      - targets: [%s]
`, hostPort(n.container("jaeger"), portTelemetry))
	}
	if opts.Has(CompCollector) {
		fmt.Fprintf(&b, `  # Metrics that services send over OTLP, exported by the collector.
  - job_name: otel-collector
    static_configs:
      - targets: [%s]
`, hostPort(n.container(roleCollector), portCollProm))
	}
	return b.String()
}

func targetsYAML(st *Stack) string {
	var b strings.Builder
	b.WriteString(markerLine)
	scraped := st.Scraped()
	if len(scraped) == 0 {
		fmt.Fprintf(&b, "# No service declares Label=%s=PORT/PATH yet.\n[]\n", LabelMetrics)
		return b.String()
	}
	for _, s := range scraped {
		fmt.Fprintf(&b, "# %s\n- targets: [%s]\n  labels:\n    __metrics_path__: %s\n    service: %s\n    stack: %s\n",
			s.Unit, yq(s.Target()), yq(s.Metrics.Path), yq(s.Name), yq(st.Name))
	}
	return b.String()
}

// datasourcesYAML is Grafana's datasource provisioning file (apiVersion 1).
func datasourcesYAML(st *Stack, opts Options) string {
	n := names{st.Name}
	var b strings.Builder
	b.WriteString(markerLine)
	b.WriteString("apiVersion: 1\ndatasources:")
	if !opts.Has(CompPrometheus) && !opts.Has(CompJaeger) {
		b.WriteString(" []\n")
		return b.String()
	}
	b.WriteString("\n")
	if opts.Has(CompPrometheus) {
		fmt.Fprintf(&b, `  - name: Prometheus
    uid: berth-prometheus
    type: prometheus
    access: proxy
    url: %s
    isDefault: true
`, yq("http://"+n.container("prometheus")+":"+strconv.Itoa(PortPrometheus)))
	}
	if opts.Has(CompJaeger) {
		fmt.Fprintf(&b, `  - name: Jaeger
    uid: berth-jaeger
    type: jaeger
    access: proxy
    url: %s
`, yq("http://"+n.container("jaeger")+":"+strconv.Itoa(PortJaegerUI)))
	}
	return b.String()
}

func dashProviderYAML() string {
	return markerLine + `apiVersion: 1
providers:
  - name: berth
    folder: berth
    type: file
    disableDeletion: true
    allowUiUpdates: false
    options:
      path: /etc/berth/dashboards
`
}

// otlpReceiver is the otlp receiver of Jaeger and the collector, listening
// on every interface of the container (the default is localhost only).
func otlpReceiver() string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: %s
      http:
        endpoint: %s
`, hostPort("0.0.0.0", PortOTLPGRPC), hostPort("0.0.0.0", PortOTLPHTTP))
}

// ownTelemetry is the service.telemetry of Jaeger and the collector: logs
// at info, their own metrics for Prometheus on portTelemetry.
func ownTelemetry(name string) string {
	return fmt.Sprintf(`  telemetry:
    resource:
      service.name: %s
    logs:
      level: info
    metrics:
      level: normal
      readers:
        - pull:
            exporter:
              prometheus:
                host: "0.0.0.0"
                port: %d
`, yq(name), portTelemetry)
}

// jaegerYAML is Jaeger v2's configuration (the OpenTelemetry Collector's
// format with Jaeger's extensions): OTLP in, Badger on the volume, the query
// API and UI on 16686, health on 13133.
func jaegerYAML() string {
	return markerLine + fmt.Sprintf(`service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
%s
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: %s
  jaeger_query:
    storage:
      traces: main
    http:
      endpoint: %s
    grpc:
      endpoint: %s
  jaeger_storage:
    backends:
      main:
        badger:
          directories:
            keys: /badger/keys
            values: /badger/values
          ephemeral: false
          ttl:
            spans: 168h

%s
processors:
  batch: {}

exporters:
  jaeger_storage_exporter:
    trace_storage: main
`, ownTelemetry("jaeger"), hostPort("0.0.0.0", portHealth), hostPort("0.0.0.0", PortJaegerUI),
		hostPort("0.0.0.0", portJaegerGRPC), otlpReceiver())
}

// collectorYAML is the OpenTelemetry Collector's configuration: OTLP in;
// traces to Jaeger over OTLP/gRPC, metrics to a Prometheus endpoint that
// Prometheus scrapes (to the debug exporter when a back end is left out).
func collectorYAML(st *Stack, opts Options) string {
	n := names{st.Name}
	traces, metrics := "debug", "debug"
	var b strings.Builder
	b.WriteString(markerLine)
	b.WriteString(otlpReceiver())
	b.WriteString(`
processors:
  batch: {}

exporters:
  debug:
    verbosity: basic
`)
	if opts.Has(CompJaeger) {
		traces = "otlp_grpc/jaeger"
		fmt.Fprintf(&b, `  otlp_grpc/jaeger:
    endpoint: %s
    tls:
      insecure: true
`, hostPort(n.container("jaeger"), PortOTLPGRPC))
	}
	if opts.Has(CompPrometheus) {
		metrics = "prometheus"
		fmt.Fprintf(&b, `  prometheus:
    endpoint: %s
`, hostPort("0.0.0.0", portCollProm))
	}
	fmt.Fprintf(&b, `
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [%s]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [%s]
%s`, traces, metrics, ownTelemetry("otel-collector"))
	return b.String()
}
