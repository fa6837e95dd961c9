package observe

import (
	"encoding/json"
	"fmt"
)

// panel is one Grafana time-series panel.
type panel struct {
	title, unit, desc string
	exprs             [][2]string // PromQL, legend
}

// dashboardPanels are the stack dashboard's panels. Selectors %[1]s are the
// stack's label matcher. berth's own metrics exist when the stack runs under
// berth's supervisor; process_* ones when a service exports them.
func dashboardPanels() []panel {
	return []panel{
		{title: "Scrape up", desc: "1 when Prometheus could scrape the service's metrics endpoint.",
			exprs: [][2]string{{`up{job=%[1]s}`, "{{service}}"}}},
		{title: "State", desc: "The state berth's supervisor sees each service in.",
			exprs: [][2]string{{MetricState + `{stack=%[1]s} == 1`, "{{service}} {{state}}"}}},
		{title: "Ready", exprs: [][2]string{{MetricReady + `{stack=%[1]s}`, "{{service}}"}}},
		{title: "Healthy", desc: "Last health check: 1 passed, 0 failed.",
			exprs: [][2]string{{MetricHealthy + `{stack=%[1]s}`, "{{service}}"}}},
		{title: "Restarts (1h)", exprs: [][2]string{{`increase(` + MetricRestarts + `{stack=%[1]s}[1h])`, "{{service}}"}}},
		{title: "Last exit code", exprs: [][2]string{{MetricLastExit + `{stack=%[1]s}`, "{{service}}"}}},
		{title: "Start duration (mean)", unit: "s", exprs: [][2]string{{
			MetricStartDuration + `_sum{stack=%[1]s} / ` + MetricStartDuration + `_count{stack=%[1]s}`, "{{service}}"}}},
		{title: "Health check latency (p95, 5m)", unit: "s", exprs: [][2]string{{
			`histogram_quantile(0.95, sum by (service, le) (rate(` + MetricHealthDuration + `_bucket{stack=%[1]s}[5m])))`, "{{service}}"}}},
		{title: "Health check failures (5m)", exprs: [][2]string{{
			`increase(` + MetricHealthFailures + `{stack=%[1]s}[5m])`, "{{service}}"}}},
		{title: "CPU", unit: "percentunit", desc: "Container CPU from berth (podman stats), else the process's own.",
			exprs: [][2]string{
				{`rate(` + MetricCPU + `{stack=%[1]s}[5m])`, "{{service}}"},
				{`rate(process_cpu_seconds_total{job=%[1]s}[5m])`, "{{service}} (process)"}}},
		{title: "Memory", unit: "bytes", desc: "Container memory from berth (podman stats), else the process's resident set.",
			exprs: [][2]string{
				{MetricMemory + `{stack=%[1]s}`, "{{service}}"},
				{`process_resident_memory_bytes{job=%[1]s}`, "{{service}} (process)"}}},
	}
}

func (p panel) json(id int, stack string) map[string]any {
	var targets []map[string]any
	for i, e := range p.exprs {
		targets = append(targets, map[string]any{
			"refId":        string(rune('A' + i)),
			"expr":         fmt.Sprintf(e[0], yq(stack)),
			"legendFormat": e[1],
			"datasource":   map[string]any{"type": "prometheus", "uid": "berth-prometheus"},
		})
	}
	defaults := map[string]any{}
	if p.unit != "" {
		defaults["unit"] = p.unit
	}
	return map[string]any{
		"id":          id,
		"type":        "timeseries",
		"title":       p.title,
		"description": p.desc,
		"datasource":  map[string]any{"type": "prometheus", "uid": "berth-prometheus"},
		"gridPos":     map[string]any{"x": ((id - 1) % 2) * 12, "y": ((id - 1) / 2) * 8, "w": 12, "h": 8},
		"fieldConfig": map[string]any{"defaults": defaults, "overrides": []any{}},
		"targets":     targets,
	}
}

// dashboardUID is berth-STACK, cut to Grafana's 40 characters.
func dashboardUID(stack string) string {
	uid := "berth-" + stack
	if len(uid) > 40 {
		uid = uid[:40]
	}
	return uid
}

// dashboardJSON is the stack's Grafana dashboard. JSON has no comments, so
// the marker is in its description.
func dashboardJSON(st *Stack, opts Options) ([]byte, error) {
	var panels []any
	for i, p := range dashboardPanels() {
		panels = append(panels, p.json(i+1, st.Name))
	}
	d := map[string]any{
		"uid":           dashboardUID(st.Name),
		"title":         "berth: " + st.Name,
		"description":   "This dashboard was " + Marker + " add; berth observe remove deletes it.",
		"tags":          []string{"berth", st.Name},
		"timezone":      "browser",
		"schemaVersion": 39,
		"version":       1,
		"refresh":       "30s",
		"time":          map[string]any{"from": "now-1h", "to": "now"},
		"panels":        panels,
		"links":         []any{},
	}
	if opts.Has(CompJaeger) {
		d["links"] = []any{map[string]any{"title": "Traces (Jaeger)", "type": "link", "targetBlank": true,
			"url": fmt.Sprintf("http://127.0.0.1:%d/search", PortJaegerUI)}}
	}
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
