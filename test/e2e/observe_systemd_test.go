//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The same checklist under a real systemd (nspawn, podman 4.3.1): the
// botticelli stack with observe add's Prometheus and Jaeger installed with
// `berth install --now`, berth's own `berth install` span sent to the same
// Jaeger.
func TestObserveBotticelliUnderSystemd(t *testing.T) {
	needSystemd(t)
	needObserveImages(t)
	client := "localhost/berth-test/client:latest"
	berth := stBerth(t)
	repo := sdRepoRoot(t)
	agent := botAgentImage(t, repo)
	dir, project := botticelliStack(t, berth, repo, agent)
	if out, err := exec.Command(berth, "-C", dir, "-p", project, "observe", "add", "--image", "jaeger="+obsJaeger,
		"--image", "prometheus="+obsPrometheus, "--without", "grafana").CombinedOutput(); err != nil {
		t.Fatalf("observe add: %v\n%s", err, out)
	}
	store, shared := hostImageStore()
	var nspawnArgs []string
	if shared {
		nspawnArgs = append(nspawnArgs, "--bind-ro="+store+":"+innerHostStore)
	}
	n := bootSystemd(t, bookwormHost(t), "berth-e2e-observe", nspawnArgs...)
	useImages(t, n, shared, obsJaeger, obsPrometheus, agent, client)
	installBerth(t, n)
	stack := "/srv/stacks/" + project
	n.copyTree(dir, stack, ".")
	n.mustExec("sh", "-c", "printf not-a-token | podman secret create "+project+"_discord_token - >/dev/null")

	t0 := time.Now()
	res, err := n.exec("env", "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317", berthInner, "-p", project, "install", "--now", stack)
	tInstall := time.Since(t0)
	if err != nil {
		st, _ := n.exec("systemctl", "status", "--no-pager", "--lines=20", project+"-*")
		t.Fatalf("berth install: %v\n%s\n%s", err, res, st)
	}
	// Inside the instance (its own network): the client image on the
	// instance's host network reads the published APIs.
	get := func(u string, v any) bool {
		body, err := n.exec("podman", "run", "--rm", "--pull=never", "--network", "host", client, "-get", u)
		if i := strings.Index(body, "{"); err == nil && i >= 0 {
			return json.Unmarshal([]byte(body[i:]), v) == nil
		}
		return false
	}
	up := fmt.Sprintf(`up{job=%q,service=%q}`, project, project+"-bot-server")
	scrape := eventually(t, 120*time.Second, "Prometheus scrapes bot-server with up == 1", func() bool {
		var a promVector
		return get("http://127.0.0.1:9090/api/v1/query?"+url.Values{"query": {up}}.Encode(), &a) &&
			len(a.Data.Result) == 1 && a.Data.Result[0].Value[1] == "1"
	})
	spans := func(service, op string) bool {
		var a jaegerAnswer
		q := url.Values{"service": {service}, "start": {fmt.Sprint(t0.UnixMicro())}}
		if !get("http://127.0.0.1:16686/api/traces?"+q.Encode(), &a) {
			return false
		}
		for _, tr := range a.Data {
			for _, sp := range tr.Spans {
				if op == "" || sp.OperationName == op {
					return true
				}
			}
		}
		return false
	}
	span := eventually(t, 120*time.Second, "Jaeger has spans of bot-server", func() bool { return spans("bot-server", "") })
	t.Logf("under systemd: berth install --now took %v; from its start: first successful scrape after %v, first bot-server span after %v",
		tInstall.Round(time.Millisecond), (tInstall + scrape).Round(time.Second), (tInstall + span).Round(time.Second))
	if !spans("berth", "berth install") {
		t.Errorf("no `berth install` span in Jaeger")
	}
	for _, verb := range []string{"metrics", "traces"} {
		out, err := n.exec(berthInner, "-C", stack, "-p", project, "check", verb)
		t.Logf("berth check %s:\n%s", verb, out)
		if err != nil {
			t.Errorf("berth check %s: %v", verb, err)
		}
	}
}
