package observe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultJaegerURL is Jaeger's query API as berth observe add publishes it.
const DefaultJaegerURL = "http://127.0.0.1:16686"

// Getter fetches a URL: the seam between the checks and HTTP. It returns
// the body of a 2xx answer, else an error that says what answered.
type Getter interface {
	Get(ctx context.Context, url string) ([]byte, error)
}

// HTTPGetter is the real Getter.
type HTTPGetter struct{ Client *http.Client }

// Get fetches url; a non-2xx status is an error naming it.
func (g HTTPGetter) Get(ctx context.Context, u string) ([]byte, error) {
	c := g.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return body, fmt.Errorf("GET %s: %s: %s", u, resp.Status, firstLine(body))
	}
	return body, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// TraceOptions tune CheckTraces.
type TraceOptions struct {
	Service   string        // only this service (unit name, stem or trace service name); "" means all
	JaegerURL string        // Jaeger's query API; "" means DefaultJaegerURL
	Since     time.Duration // spans younger than this count; 0 means 10 minutes
	Now       func() time.Time
	// Collector says traces go through berth observe's collector (its
	// container is then an endpoint as good as Jaeger's).
	Collector bool
}

// TraceCheck is what Jaeger knows of one service that declares tracing.
type TraceCheck struct {
	Service      string    `json:"service"`       // the unit's stem
	Unit         string    `json:"unit"`          // NAME.container
	TraceService string    `json:"trace_service"` // the service name its spans carry
	Endpoint     string    `json:"endpoint"`      // OTEL_EXPORTER_OTLP_ENDPOINT in force
	Spans        int       `json:"spans"`         // in the window
	Traces       int       `json:"traces"`
	Latest       time.Time `json:"latest,omitempty"` // the newest span's start
	Error        string    `json:"error,omitempty"`
	Fixes        []string  `json:"fixes,omitempty"` // what to change when no span arrived
}

// OK reports whether spans of the service arrived in the window.
func (c TraceCheck) OK() bool { return c.Error == "" && c.Spans > 0 }

// jaegerTraces is the part of /api/traces' answer the check reads.
type jaegerTraces struct {
	Data []struct {
		TraceID string `json:"traceID"`
		Spans   []struct {
			ProcessID string `json:"processID"`
			StartTime int64  `json:"startTime"` // microseconds since the epoch
		} `json:"spans"`
		Processes map[string]struct {
			ServiceName string `json:"serviceName"`
		} `json:"processes"`
	} `json:"data"`
}

// CheckTraces asks Jaeger's query API, for each service of the stack that
// declares tracing (io.berth.otel=true or an OTLP endpoint of its own),
// whether spans of it arrived in the last opts.Since, and says what to fix
// when none did.
func CheckTraces(ctx context.Context, st *Stack, g Getter, opts TraceOptions) ([]TraceCheck, error) {
	var services []*Service
	for _, s := range st.Traced() {
		if opts.Service == "" || opts.Service == s.Unit || opts.Service == s.Name || opts.Service == s.TraceService() {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		if opts.Service != "" {
			return nil, fmt.Errorf("service %q declares no tracing: add Label=%s=true to its .container file (berth observe add then gives it an endpoint)", opts.Service, LabelOTel)
		}
		return nil, fmt.Errorf("no service of %s declares tracing: add Label=%s=true to a .container file, or set OTEL_EXPORTER_OTLP_ENDPOINT in its Environment=", st.Dir, LabelOTel)
	}
	base := strings.TrimRight(opts.JaegerURL, "/")
	if base == "" {
		base = DefaultJaegerURL
	}
	since := opts.Since
	if since == 0 {
		since = 10 * time.Minute
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	body, err := g.Get(ctx, base+"/api/services")
	if err != nil {
		return nil, fmt.Errorf("Jaeger's query API at %s did not answer (%v): is %s running (berth ps)? Pass --jaeger URL if it is elsewhere", base, err, names{st.Name}.container("jaeger"))
	}
	var known struct {
		Data []string `json:"data"`
	}
	if err := json.Unmarshal(body, &known); err != nil {
		return nil, fmt.Errorf("%s/api/services: not Jaeger's answer: %v", base, err)
	}
	end := now()
	start := end.Add(-since)
	var out []TraceCheck
	for _, s := range services {
		c := TraceCheck{Service: s.Name, Unit: s.Unit, TraceService: s.TraceService(), Endpoint: s.Effective.Endpoint}
		q := url.Values{"service": {c.TraceService}, "start": {strconv.FormatInt(start.UnixMicro(), 10)},
			"end": {strconv.FormatInt(end.UnixMicro(), 10)}, "limit": {"100"}}
		if slices.Contains(known.Data, c.TraceService) {
			if err := c.count(ctx, g, base+"/api/traces?"+q.Encode(), start); err != nil {
				c.Error = err.Error()
			}
		}
		if c.Spans == 0 && c.Error == "" {
			c.Fixes = traceFixes(st, s, known.Data, since, opts)
		}
		out = append(out, c)
	}
	return out, nil
}

// count reads the service's traces and counts its spans since start.
func (c *TraceCheck) count(ctx context.Context, g Getter, u string, start time.Time) error {
	body, err := g.Get(ctx, u)
	if err != nil {
		return err
	}
	var tr jaegerTraces
	if err := json.Unmarshal(body, &tr); err != nil {
		return fmt.Errorf("/api/traces: not Jaeger's answer: %v", err)
	}
	from := start.UnixMicro()
	for _, t := range tr.Data {
		n := 0
		for _, sp := range t.Spans {
			if t.Processes[sp.ProcessID].ServiceName != c.TraceService || sp.StartTime < from {
				continue
			}
			n++
			if at := time.UnixMicro(sp.StartTime).UTC(); at.After(c.Latest) {
				c.Latest = at
			}
		}
		if n > 0 {
			c.Traces++
			c.Spans += n
		}
	}
	return nil
}

// traceFixes says what to change when no span of s arrived: the endpoint,
// the network, the port and protocol, the service name.
func traceFixes(st *Stack, s *Service, known []string, since time.Duration, opts TraceOptions) []string {
	n := names{st.Name}
	want := OTLPEndpoint(st.Name, opts.Collector)
	var fixes []string
	add := func(format string, args ...any) { fixes = append(fixes, fmt.Sprintf(format, args...)) }
	if slices.Contains(known, s.TraceService()) {
		add("Jaeger has spans of %q, but none from the last %v: is %s running (berth ps, berth logs %s)?", s.TraceService(), since, s.Name, s.Name)
		return fixes
	}
	if other := similarServices(known, s); len(other) > 0 {
		add("Jaeger has spans of %s: set OTEL_SERVICE_NAME=%s in %s, or look for those", strings.Join(other, ", "), s.TraceService(), s.Unit)
	}
	ep := s.Effective.Endpoint
	if ep == "" {
		add("%s has no OTEL_EXPORTER_OTLP_ENDPOINT: run berth observe add (it gives services labelled %s=true one), or add Environment=OTEL_EXPORTER_OTLP_ENDPOINT=%s", s.Unit, LabelOTel, want)
		return fixes
	}
	u, err := url.Parse(ep)
	if err != nil || u.Host == "" {
		add("OTEL_EXPORTER_OTLP_ENDPOINT=%s is not a URL: write %s", ep, want)
		return fixes
	}
	host, port := u.Hostname(), u.Port()
	switch {
	case host == "localhost" || net.ParseIP(host) != nil && net.ParseIP(host).IsLoopback():
		add("OTEL_EXPORTER_OTLP_ENDPOINT=%s: inside a container %s is the container itself; use %s", ep, host, want)
	case !receiverHost(st, host, opts.Collector):
		add("OTEL_EXPORTER_OTLP_ENDPOINT=%s: %s is not Jaeger or the collector on network %s (their names: %s, %s, alias jaeger); use %s",
			ep, host, st.NetworkName, n.container("jaeger"), n.container(roleCollector), want)
	}
	proto := s.Effective.Protocol
	switch {
	case port == strconv.Itoa(PortOTLPHTTP) && proto == "grpc":
		add("port %d is OTLP/HTTP but OTEL_EXPORTER_OTLP_PROTOCOL=grpc: use port %d, or the protocol http/protobuf", PortOTLPHTTP, PortOTLPGRPC)
	case port == strconv.Itoa(PortOTLPGRPC) && strings.HasPrefix(proto, "http"):
		add("port %d is OTLP/gRPC but OTEL_EXPORTER_OTLP_PROTOCOL=%s: use port %d, or the protocol grpc", PortOTLPGRPC, proto, PortOTLPHTTP)
	case port != strconv.Itoa(PortOTLPGRPC) && port != strconv.Itoa(PortOTLPHTTP):
		add("OTEL_EXPORTER_OTLP_ENDPOINT=%s: Jaeger and the collector take OTLP on %d (gRPC) and %d (HTTP), not on %q", ep, PortOTLPGRPC, PortOTLPHTTP, port)
	}
	if on, join := st.onNetwork(s); !on && !join {
		add("%s is not on %s, where Jaeger is: add Network=%s to it", s.Unit, st.Network, st.Network)
	}
	if len(known) == 0 {
		add("Jaeger has received no span from any service: is its OTLP port reachable (berth logs %s)?", n.container("jaeger"))
	}
	if len(fixes) == 0 {
		add("the endpoint %s looks right: is %s running, and does its log (berth logs %s) show exporter errors?", ep, s.Name, s.Name)
	}
	return fixes
}

// receiverHost reports whether host names something that takes OTLP on the
// stack network: Jaeger or the collector by container name or alias.
func receiverHost(st *Stack, host string, collector bool) bool {
	n := names{st.Name}
	switch host {
	case n.container("jaeger"), "jaeger":
		return true
	case n.container(roleCollector), "otel-collector":
		return collector
	}
	return false
}

// similarServices are Jaeger's service names that look like s's.
func similarServices(known []string, s *Service) []string {
	var out []string
	for _, k := range known {
		if k == s.Name || k == s.Container || strings.Contains(k, s.Name) || strings.HasPrefix(k, "unknown_service") {
			out = append(out, strconv.Quote(k))
		}
	}
	sort.Strings(out)
	return out
}
