package observe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/berth-dev/berth/internal/podman"
)

// TestClientImage is the registry-free HTTP client image that
// scripts/build-test-images.sh builds (`client -get URL`).
const TestClientImage = "localhost/berth-test/client:latest"

// CheckOptions tune CheckMetrics.
type CheckOptions struct {
	Service string // only this service (unit name or its stem); "" means all
	// Image runs the HTTP client inside the stack's network. Empty picks the
	// first local one of TestClientImage and ImagePrometheus (busybox wget).
	// An image whose reference contains "berth-test/client" is run as
	// `client -get URL`, any other as `wget -q -O - URL`.
	Image   string
	Podman  string        // the podman binary; "" means "podman"
	Timeout time.Duration // per endpoint; 0 means 15 s
	// PrometheusURL, when set, is also asked (through HTTP) whether each
	// service is a target that is up (up{job=STACK} and its last error).
	PrometheusURL string
	HTTP          Getter // for PrometheusURL; nil means HTTPGetter
}

// MetricsCheck is what one declared metrics endpoint answered.
type MetricsCheck struct {
	Service  string `json:"service"`
	Unit     string `json:"unit"`
	URL      string `json:"url"`
	Network  string `json:"network"`
	Status   int    `json:"status"` // HTTP status; 0 when nothing answered
	Families int    `json:"families"`
	Samples  int    `json:"samples"`
	Error    string `json:"error,omitempty"`
	// Prometheus is what Prometheus says of the service, when asked.
	Prometheus *PromStatus `json:"prometheus,omitempty"`
	// PromProblem says what is wrong on Prometheus's side, when something is.
	PromProblem string `json:"prometheus_problem,omitempty"`
}

// OK reports whether the endpoint answered 200 with parsable metrics, and
// Prometheus (when asked) scrapes it with up == 1.
func (c MetricsCheck) OK() bool {
	return c.Error == "" && c.Status == 200 && (c.Prometheus == nil || c.Prometheus.OK())
}

// CheckMetrics fetches every declared metrics endpoint of the stack from
// inside the network the service is on, with a throw-away client container
// (podman run --rm), the way Prometheus would reach it.
func CheckMetrics(ctx context.Context, st *Stack, r podman.Runner, opts CheckOptions) ([]MetricsCheck, error) {
	var services []*Service
	for _, s := range st.Scraped() {
		if opts.Service == "" || opts.Service == s.Unit || opts.Service == s.Name {
			services = append(services, s)
		}
	}
	if len(services) == 0 {
		if opts.Service != "" {
			return nil, fmt.Errorf("service %q declares no metrics endpoint: add Label=%s=PORT/PATH to its .container file", opts.Service, LabelMetrics)
		}
		return nil, fmt.Errorf("no service of %s declares a metrics endpoint: add Label=%s=PORT/PATH to a .container file", st.Dir, LabelMetrics)
	}
	pc := &podman.Client{Runner: r, Path: opts.Podman}
	image, err := pickImage(ctx, pc, opts.Image)
	if err != nil {
		return nil, err
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	var out []MetricsCheck
	for _, s := range services {
		out = append(out, checkOne(ctx, pc, st, s, image, timeout))
	}
	if opts.PrometheusURL != "" {
		askPrometheus(ctx, st, services, opts, out)
	}
	return out, nil
}

// askPrometheus adds Prometheus's view to each check.
func askPrometheus(ctx context.Context, st *Stack, services []*Service, opts CheckOptions, out []MetricsCheck) {
	g := opts.HTTP
	if g == nil {
		g = HTTPGetter{}
	}
	status, err := PrometheusStatus(ctx, g, opts.PrometheusURL, st)
	for i, s := range services {
		ps := PromStatus{}
		if err != nil {
			ps.Error = err.Error()
		} else {
			ps = status[s.Name]
		}
		out[i].Prometheus = &ps
		if !ps.OK() {
			out[i].PromProblem = ps.Problem(st, s)
		}
	}
}

func pickImage(ctx context.Context, pc *podman.Client, image string) (string, error) {
	if image != "" {
		return image, nil
	}
	for _, img := range []string{TestClientImage, ImagePrometheus} {
		if _, err := pc.Output(ctx, "image", "exists", img); err == nil {
			return img, nil
		}
	}
	return "", fmt.Errorf("no local image with an HTTP client: pass --image IMAGE (one with wget, e.g. a busybox image), " +
		"or pull " + ImagePrometheus + " (berth observe add uses it), or run scripts/build-test-images.sh")
}

// clientArgv is the podman run command that fetches url with image.
func clientArgv(image, network, url string, timeout time.Duration) []string {
	argv := []string{"run", "--rm", "--pull=never", "--network", network}
	if strings.Contains(image, "berth-test/client") {
		return append(argv, image, "-timeout", timeout.String(), "-get", url)
	}
	secs := strconv.Itoa(int(timeout.Seconds()))
	return append(argv, "--entrypoint", "wget", image, "-q", "-T", secs, "-O", "-", url)
}

// reachAt is the network to run the client on and the URL to fetch there.
func reachAt(st *Stack, s *Service) (network, url string, err error) {
	on, join := st.onNetwork(s)
	switch {
	case on || join:
		return st.NetworkName, s.URL(), nil
	case s.Pod:
		return "", "", fmt.Errorf("%s joins a pod; berth check metrics cannot reach it by name yet", s.Unit)
	}
	name, _, _ := strings.Cut(s.Networks[0], ":")
	switch {
	case name == "host":
		return "host", "http://127.0.0.1:" + strconv.Itoa(s.Metrics.Port) + s.Metrics.Path, nil
	case strings.HasSuffix(name, ".network"):
		if n, ok := st.NetworkNames[name]; ok {
			return n, s.URL(), nil
		}
		return "", "", fmt.Errorf("%s: network %s is not in the stack", s.Unit, name)
	case name == "none" || strings.HasPrefix(name, "container") || strings.HasPrefix(name, "ns"):
		return "", "", fmt.Errorf("%s uses Network=%s, which no other container can reach by name", s.Unit, s.Networks[0])
	}
	return name, s.URL(), nil
}

var statusRe = regexp.MustCompile(`(?:GET \S+: |HTTP/\d(?:\.\d)? )(\d{3})`)

func checkOne(ctx context.Context, pc *podman.Client, st *Stack, s *Service, image string, timeout time.Duration) MetricsCheck {
	c := MetricsCheck{Service: s.Name, Unit: s.Unit, URL: s.URL()}
	network, url, err := reachAt(st, s)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	c.Network, c.URL = network, url
	cctx, cancel := context.WithTimeout(ctx, timeout+10*time.Second) // container start on top
	defer cancel()
	body, err := pc.Output(cctx, clientArgv(image, network, url, timeout)...)
	if err != nil {
		c.Error = clientError(err)
		if m := statusRe.FindStringSubmatch(c.Error); m != nil {
			c.Status, _ = strconv.Atoi(m[1])
		}
		return c
	}
	c.Status = 200
	c.Families, c.Samples, err = countMetrics(body)
	if err != nil {
		c.Error = "the answer is not in the Prometheus text format: " + err.Error()
	}
	return c
}

// clientError is the client's own complaint, without podman's command line
// and without aardvark-dns's syslog noise.
func clientError(err error) string {
	var ee *podman.ExecError
	if !errors.As(err, &ee) {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(ee.Stderr), "\n") {
		if l != "" && !strings.HasPrefix(l, "failed to connect to syslog") {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return fmt.Sprintf("the client exited with status %d", ee.Code)
	}
	return strings.Join(lines, "; ")
}

// countMetrics parses a Prometheus text exposition.
func countMetrics(body []byte) (families, samples int, err error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	for _, f := range fams {
		for _, m := range f.Metric {
			switch {
			case m.Histogram != nil:
				samples += len(m.Histogram.Bucket) + 2
			case m.Summary != nil:
				samples += len(m.Summary.Quantile) + 2
			default:
				samples++
			}
		}
	}
	return len(fams), samples, nil
}
