//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The seed's checklist, run for real: "Verify metrics flow: bot-server →
// Prometheus" and "Verify traces flow: bot-server → Jaeger". The botticelli
// compose file is converted to quadlets; its own Prometheus, Grafana and
// Jaeger (registry images) are replaced by what berth observe add writes,
// with the registry-free images of scripts/build-observe-images.sh (Jaeger
// v2, the OTel collector, Debian's Prometheus); the example agent stands in
// for the bot server. Ports are the seed's fixed ones on 127.0.0.1, so this
// runs under the e2e lock only.

const (
	obsJaeger     = "localhost/berth-test/jaeger:latest"
	obsCollector  = "localhost/berth-test/otelcol:latest"
	obsPrometheus = "localhost/berth-test/prometheus:latest"
)

func needObserveImages(t *testing.T) {
	for _, img := range []string{obsJaeger, obsCollector, obsPrometheus} {
		if exec.Command("podman", "image", "exists", img).Run() != nil {
			t.Skipf("%s is missing: run scripts/build-observe-images.sh", img)
		}
	}
}

// agentImage builds examples/agent into a local image (no registry: a
// static binary in FROM scratch, as scripts/demo.sh does).
func botAgentImage(t *testing.T, repo string) string {
	ctx := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(ctx, "bin", "agent"), "./examples/agent")
	build.Dir, build.Env = repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build examples/agent: %v\n%s", err, out)
	}
	img := "localhost/berth-e2e/bot-agent:observe"
	podmanOut(t, "build", "-q", "--pull=never", "-t", img, "-f", filepath.Join(repo, "examples/agent/Containerfile"), ctx)
	return img
}

func getJSON(u string, v any) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return json.Unmarshal(body, v)
}

type jaegerAnswer struct {
	Data []struct {
		Spans []struct {
			OperationName string `json:"operationName"`
			StartTime     int64  `json:"startTime"`
			ProcessID     string `json:"processID"`
		} `json:"spans"`
		Processes map[string]struct {
			ServiceName string `json:"serviceName"`
		} `json:"processes"`
	} `json:"data"`
}

// jaegerSpans lists the operations of service's spans that started after since.
func jaegerSpans(service string, since time.Time) []string {
	var a jaegerAnswer
	q := url.Values{"service": {service}, "start": {fmt.Sprint(since.UnixMicro())}, "limit": {"200"}}
	if getJSON("http://127.0.0.1:16686/api/traces?"+q.Encode(), &a) != nil {
		return nil
	}
	var ops []string
	for _, tr := range a.Data {
		for _, sp := range tr.Spans {
			if tr.Processes[sp.ProcessID].ServiceName == service && sp.StartTime >= since.UnixMicro() {
				ops = append(ops, sp.OperationName)
			}
		}
	}
	return ops
}

// promVector is the answer of Prometheus's instant query API.
type promVector struct {
	Data struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// promValue is the first value of an instant query, "" when there is none.
func promValue(query string) string {
	var a promVector
	if getJSON("http://127.0.0.1:9090/api/v1/query?"+url.Values{"query": {query}}.Encode(), &a) != nil || len(a.Data.Result) == 0 {
		return ""
	}
	s, _ := a.Data.Result[0].Value[1].(string)
	return s
}

// botticelliStack converts the example's compose file for this podman,
// replaces the compose file's own back ends by nothing (observe add writes
// them), and the bot server's build by the agent image.
func botticelliStack(t *testing.T, berth, repo, agent string) (dir, project string) {
	project = fmt.Sprintf("obs%d%03d", os.Getpid()%10000, rand.Intn(1000))
	dir = filepath.Join(t.TempDir(), project)
	out, err := exec.Command(berth, "-p", project, "convert", "-f", filepath.Join(repo, "examples/botticelli/compose.yaml"), "-o", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("berth convert: %v\n%s", err, out)
	}
	for _, f := range []string{"-prometheus.container", "-prometheus-data.volume", "-grafana.container", "-grafana-data.volume",
		"-jaeger.container", "-bot-server.build"} {
		if err := os.Remove(filepath.Join(dir, project+f)); err != nil {
			t.Fatal(err)
		}
	}
	unit := filepath.Join(dir, project+"-bot-server.container")
	data, err := os.ReadFile(unit)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^Image=.*$`).ReplaceAllString(string(data), "Image="+agent)
	if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	secret := project + "_discord_token"
	cmd := exec.Command("podman", "secret", "create", secret, "-")
	cmd.Stdin = strings.NewReader("not-a-real-token")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("podman secret create: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		_ = exec.Command("podman", "secret", "rm", secret).Run()
		_ = exec.Command("sh", "-c", "podman rm -f -t 0 $(podman ps -aq --filter label=io.berth.project="+project+") botticelli-bot-server 2>/dev/null; "+
			"podman network rm -f "+project+"_default 2>/dev/null; "+
			"podman volume rm -f $(podman volume ls -q | grep -e '^"+project+"') 2>/dev/null").Run()
	})
	return dir, project
}

func TestObserveBotticelliMetricsAndTraces(t *testing.T) {
	berth := stBerth(t)
	needObserveImages(t)
	_, file, _, _ := runtime.Caller(0)
	repo := filepath.Join(filepath.Dir(file), "..", "..")
	agent := botAgentImage(t, repo)
	dir, project := botticelliStack(t, berth, repo, agent)
	env := append(os.Environ(), "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317")
	berthRun := func(args ...string) (string, error) {
		cmd := exec.Command(berth, append([]string{"-C", dir, "-p", project}, args...)...)
		cmd.Env = env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := berthRun(args...)
		if err != nil {
			t.Fatalf("berth %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	t.Cleanup(func() { _, _ = berthRun("down", "--volumes") })
	images := []string{"--image", "jaeger=" + obsJaeger, "--image", "prometheus=" + obsPrometheus, "--without", "grafana"}

	t.Run("direct", func(t *testing.T) {
		t.Log(must(append([]string{"observe", "add"}, images...)...))
		flowChecks(t, project, must, berthRun, "direct to Jaeger")
	})
	t.Run("collector", func(t *testing.T) {
		must("down", "--volumes")
		// The bot server's own endpoint (http://jaeger:4317) goes: observe
		// add's drop-in then sends it to the collector.
		unit := filepath.Join(dir, project+"-bot-server.container")
		data, _ := os.ReadFile(unit)
		text := strings.Replace(string(data), "Environment=OTEL_EXPORTER_OTLP_ENDPOINT=http://jaeger:4317\n", "", 1)
		if err := os.WriteFile(unit, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log(must(append([]string{"observe", "add", "--image", "collector=" + obsCollector}, images...)...))
		flowChecks(t, project, must, berthRun, "through the collector")
		if logs, _ := exec.Command("podman", "logs", project+"-otel-collector").CombinedOutput(); !bytes.Contains(logs, []byte("Everything is ready")) {
			t.Errorf("collector log:\n%s", logs)
		}
	})
}

// flowChecks brings the stack up and waits for the seed's two flows, then
// runs berth check metrics and berth check traces.
func flowChecks(t *testing.T, project string, must func(...string) string, berthRun func(...string) (string, error), how string) {
	t0 := time.Now()
	must("up", "-d", "--metrics-addr", "off")
	tUp := time.Since(t0)
	scrape := eventually(t, 90*time.Second, "Prometheus scrapes bot-server with up == 1", func() bool {
		return promValue(fmt.Sprintf(`up{job=%q,service=%q}`, project, project+"-bot-server")) == "1"
	})
	// A request of our own through the published port: a counter in
	// Prometheus after the next scrape, a span in Jaeger.
	if _, err := http.Get("http://127.0.0.1:9091/"); err != nil {
		t.Errorf("GET the bot server's published port: %v", err)
	}
	metric := fmt.Sprintf(`agent_http_requests_total{job=%q,path="/"}`, project)
	eventually(t, 60*time.Second, "Prometheus has a bot metric with a value", func() bool { return promValue(metric) != "" })
	t.Logf("%s = %s", metric, promValue(metric))
	span := eventually(t, 90*time.Second, "Jaeger has spans of bot-server", func() bool {
		return len(jaegerSpans("bot-server", t0)) > 0
	})
	eventually(t, 30*time.Second, "Jaeger has berth's own `berth up` span", func() bool {
		for _, op := range jaegerSpans("berth", t0) {
			if op == "berth up" {
				return true
			}
		}
		return false
	})
	t.Logf("%s: berth up -d took %v; from its start: first successful scrape after %v, first bot-server span after %v (the up itself: %v)",
		how, tUp.Round(time.Millisecond), (tUp + scrape).Round(time.Second), (tUp + span).Round(time.Second), tUp.Round(time.Second))
	t.Logf("bot-server operations: %q", uniq(jaegerSpans("bot-server", t0)))
	out := must("check", "metrics")
	t.Logf("berth check metrics:\n%s", out)
	if !strings.Contains(out, "up=1") {
		t.Errorf("check metrics did not ask Prometheus:\n%s", out)
	}
	out = must("check", "traces")
	t.Logf("berth check traces:\n%s", out)
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
