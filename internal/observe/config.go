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
	pathCollector    = "observe/otel-collector/config.yaml"
)

func dashboardPath(stack string) string { return "observe/grafana/dashboards/" + stack + ".json" }

// yq quotes a string for YAML (a JSON string is a YAML string).
func yq(s string) string { return strconv.Quote(s) }

// configs adds the generated configuration files to files.
func configs(st *Stack, opts Options, files map[string][]byte) error {
	files[pathPrometheus] = []byte(prometheusYAML(st, opts))
	files[pathTargets] = []byte(targetsYAML(st))
	files[pathDatasources] = []byte(datasourcesYAML(st))
	files[pathDashProvider] = []byte(dashProviderYAML())
	dash, err := dashboardJSON(st)
	if err != nil {
		return err
	}
	files[dashboardPath(st.Name)] = dash
	if opts.Collector {
		files[pathCollector] = []byte(collectorYAML(st))
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
`, yq(st.Name), LabelMetrics, st.NetworkName, yq(st.Name), yq("localhost:"+strconv.Itoa(PortPrometheus)),
		yq("host.containers.internal:"+strconv.Itoa(opts.berthPort())), yq(st.Name))
	if opts.Collector {
		fmt.Fprintf(&b, `  # Metrics that services send over OTLP, exported by the collector.
  - job_name: otel-collector
    static_configs:
      - targets: [%s]
`, yq(n.container("otel-collector")+":"+strconv.Itoa(portCollProm)))
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

func datasourcesYAML(st *Stack) string {
	n := names{st.Name}
	return markerLine + fmt.Sprintf(`apiVersion: 1
datasources:
  - name: Prometheus
    uid: berth-prometheus
    type: prometheus
    access: proxy
    url: %s
    isDefault: true
  - name: Jaeger
    uid: berth-jaeger
    type: jaeger
    access: proxy
    url: %s
`, yq("http://"+n.container("prometheus")+":"+strconv.Itoa(PortPrometheus)),
		yq("http://"+n.container("jaeger")+":"+strconv.Itoa(PortJaegerUI)))
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

func collectorYAML(st *Stack) string {
	n := names{st.Name}
	return markerLine + fmt.Sprintf(`receivers:
  otlp:
    protocols:
      grpc:
        endpoint: "0.0.0.0:%d"
      http:
        endpoint: "0.0.0.0:%d"
processors:
  batch: {}
exporters:
  otlp/jaeger:
    endpoint: %s
    tls:
      insecure: true
  prometheus:
    endpoint: "0.0.0.0:%d"
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [otlp/jaeger]
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [prometheus]
`, PortOTLPGRPC, PortOTLPHTTP, yq(n.container("jaeger")+":"+strconv.Itoa(PortOTLPGRPC)), portCollProm)
}
