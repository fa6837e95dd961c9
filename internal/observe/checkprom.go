package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultPrometheusURL is Prometheus's HTTP API as berth observe add
// publishes it.
const DefaultPrometheusURL = "http://127.0.0.1:9090"

// PromStatus is what Prometheus says of one scraped service.
type PromStatus struct {
	Up         *float64  `json:"up"`     // up{job=STACK,service=S}; nil when Prometheus has no such series
	Health     string    `json:"health"` // the target's health: up, down, unknown; "" when no target
	LastError  string    `json:"last_error,omitempty"`
	LastScrape time.Time `json:"last_scrape,omitempty"`
	ScrapeURL  string    `json:"scrape_url,omitempty"`
	Error      string    `json:"error,omitempty"` // Prometheus itself did not answer
}

// OK reports whether Prometheus scraped the service successfully.
func (p PromStatus) OK() bool { return p.Error == "" && p.Up != nil && *p.Up == 1 }

// Problem says what is wrong when !OK.
func (p PromStatus) Problem(st *Stack, s *Service) string {
	switch {
	case p.Error != "":
		return p.Error
	case p.Health == "" && p.Up == nil:
		return fmt.Sprintf("Prometheus has no target for %s: run berth observe add again (it writes observe/prometheus/targets.yml), then wait one scrape interval", s.Name)
	case p.LastError != "":
		return "Prometheus's last scrape failed: " + p.LastError
	case p.Up == nil || p.Health == "unknown":
		return "Prometheus has not scraped it yet: wait one scrape interval (15 s)"
	}
	return fmt.Sprintf("up{job=%q,service=%q} is %v", st.Name, s.Name, *p.Up)
}

type promTargets struct {
	Status string `json:"status"`
	Data   struct {
		ActiveTargets []struct {
			Labels     map[string]string `json:"labels"`
			ScrapeURL  string            `json:"scrapeUrl"`
			LastError  string            `json:"lastError"`
			LastScrape time.Time         `json:"lastScrape"`
			Health     string            `json:"health"`
		} `json:"activeTargets"`
	} `json:"data"`
}

type promQuery struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// PrometheusStatus asks Prometheus's HTTP API at base about the scraped
// services of st: up{job=STACK} and each target's health and last scrape
// error (/api/v1/targets). Services are keyed by their unit's stem. An
// error means Prometheus did not answer.
func PrometheusStatus(ctx context.Context, g Getter, base string, st *Stack) (map[string]PromStatus, error) {
	base = strings.TrimRight(base, "/")
	body, err := g.Get(ctx, base+"/api/v1/targets?state=active")
	if err != nil {
		return nil, fmt.Errorf("Prometheus at %s did not answer (%v): is %s running (berth ps)? Pass --prometheus URL if it is elsewhere",
			base, err, names{st.Name}.container("prometheus"))
	}
	var tg promTargets
	if err := json.Unmarshal(body, &tg); err != nil || tg.Status != "success" {
		return nil, fmt.Errorf("%s/api/v1/targets: not Prometheus's answer (%v)", base, err)
	}
	out := map[string]PromStatus{}
	for _, t := range tg.Data.ActiveTargets {
		if t.Labels["job"] != st.Name || t.Labels["service"] == "" {
			continue
		}
		out[t.Labels["service"]] = PromStatus{Health: t.Health, LastError: t.LastError, LastScrape: t.LastScrape, ScrapeURL: t.ScrapeURL}
	}
	q := url.Values{"query": {fmt.Sprintf("up{job=%q}", st.Name)}}
	body, err = g.Get(ctx, base+"/api/v1/query?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("Prometheus at %s: %v", base, err)
	}
	var qr promQuery
	if err := json.Unmarshal(body, &qr); err != nil || qr.Status != "success" {
		return nil, fmt.Errorf("%s/api/v1/query: not Prometheus's answer (%v)", base, err)
	}
	for _, r := range qr.Data.Result {
		svc := r.Metric["service"]
		v, ok := r.Value[1].(string)
		if svc == "" || !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		ps := out[svc]
		ps.Up = &f
		out[svc] = ps
	}
	return out, nil
}
