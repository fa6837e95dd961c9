//go:build e2e

package observe

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// promImage is a registry-free Prometheus: Debian's prometheus package (a
// binary linked against libc only), as scripts/build-observe-images.sh
// builds it; else (older hosts) on the Debian root of the pg test image.
const promImage = "localhost/berth-test/prometheus:2.42"

const promContainerfile = `FROM localhost/berth-test/pg-base:15
COPY prometheus /bin/prometheus
COPY web /usr/share/prometheus/web
USER 65534:65534
ENTRYPOINT ["/bin/prometheus"]
`

// localPrometheus builds promImage unless it exists; it skips the test when
// the Debian package or the base image cannot be had.
func localPrometheus(t *testing.T) string {
	if exec.Command("podman", "image", "exists", promImage).Run() == nil {
		return promImage
	}
	if exec.Command("podman", "image", "exists", "localhost/berth-test/pg-base:15").Run() != nil {
		t.Skip("localhost/berth-test/pg-base:15 missing: run scripts/build-test-images.sh --pg")
	}
	dir := t.TempDir()
	if out, err := exec.Command("sh", "-c", "cd "+dir+" && apt-get download prometheus && dpkg-deb -x prometheus_*.deb root").CombinedOutput(); err != nil {
		t.Skipf("cannot get Debian's prometheus package: %v\n%s", err, out)
	}
	ctx := filepath.Join(dir, "ctx")
	run(t, dir, "mkdir", "-p", ctx)
	run(t, dir, "cp", "root/usr/bin/prometheus", ctx+"/prometheus")
	run(t, dir, "cp", "-r", "root/usr/share/prometheus/web", ctx+"/web")
	writeFile(t, filepath.Join(ctx, "Containerfile"), promContainerfile)
	run(t, dir, "podman", "build", "-q", "--pull=never", "-t", promImage, ctx)
	return promImage
}

// A real Prometheus, configured by the files berth observe add generates,
// scrapes the example agent by container name across the stack network.
func TestE2EPrometheusScrapesAgent(t *testing.T) {
	needPodmanAndClient(t)
	prom := localPrometheus(t)
	repo, _ := filepath.Abs("../..")
	agent := agentImage(t, repo)
	id := fmt.Sprintf("berth-e2e-prom-%d", os.Getpid())
	dir := filepath.Join(t.TempDir(), id)
	writeFile(t, filepath.Join(dir, "net.network"), "[Network]\nNetworkName="+id+"\n")
	writeFile(t, filepath.Join(dir, "agent.container"), "[Container]\nContainerName="+id+"-agent\nImage="+agent+
		"\nNetwork=net.network\nLabel=io.berth.metrics=8000/metrics\n")
	if _, err := Add(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = exec.Command("podman", "rm", "-f", "-t", "0", id+"-agent", id+"-prometheus").Run()
		_ = exec.Command("podman", "network", "rm", "-f", id).Run()
		_ = exec.Command("podman", "volume", "rm", "-f", id+"-data").Run()
	})
	run(t, dir, "podman", "network", "create", id)
	run(t, dir, "podman", "run", "-d", "--name", id+"-agent", "--network", id, agent)
	// As the generated quadlet runs it: the config folder, the same arguments.
	run(t, dir, "podman", "run", "-d", "--name", id+"-prometheus", "--network", id,
		"-v", filepath.Join(dir, "observe/prometheus")+":/etc/prometheus/berth:ro,z", "-v", id+"-data:/prometheus",
		prom, "--config.file=/etc/prometheus/berth/prometheus.yml", "--storage.tsdb.path=/prometheus", "--web.enable-lifecycle")
	waitUp(t, id, "agent")
	// A service added later is scraped without restarting Prometheus: Add
	// rewrites targets.yml atomically in the mounted folder.
	writeFile(t, filepath.Join(dir, "again.container"), "[Container]\nContainerName="+id+"-agent\nImage="+agent+
		"\nNetwork=net.network\nLabel=io.berth.metrics=8000/metrics\n")
	if _, err := Add(dir, Options{}); err != nil {
		t.Fatal(err)
	}
	waitUp(t, id, "again")
}

// waitUp polls Prometheus (from inside the network) until up{service=S} is 1.
func waitUp(t *testing.T, id, service string) {
	query := "http://" + id + "-prometheus:9090/api/v1/query?query=up%7Bservice%3D%22" + service + "%22%7D"
	start := time.Now()
	for {
		out, _ := exec.Command("podman", "run", "--rm", "--pull=never", "--network", id, TestClientImage,
			"-wait", query, "-timeout", "20s").Output()
		var r struct {
			Data struct {
				Result []struct {
					Metric map[string]string
					Value  []any
				}
			}
		}
		if json.Unmarshal(out, &r) == nil && len(r.Data.Result) == 1 && r.Data.Result[0].Value[1] == "1" {
			t.Logf("Prometheus scraped %s (up=1, %v) after %v", service, r.Data.Result[0].Metric, time.Since(start).Round(time.Second))
			if r.Data.Result[0].Metric["stack"] != id {
				t.Errorf("labels: %v", r.Data.Result[0].Metric)
			}
			return
		}
		if time.Since(start) > 90*time.Second {
			logs, _ := exec.Command("podman", "logs", "--tail", "20", id+"-prometheus").CombinedOutput()
			t.Fatalf("Prometheus did not scrape %s: %s\n%s", service, strings.TrimSpace(string(out)), logs)
		}
		time.Sleep(2 * time.Second)
	}
}
