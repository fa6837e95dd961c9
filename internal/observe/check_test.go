package observe

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

const sampleMetrics = `# HELP a_total A.
# TYPE a_total counter
a_total{x="1"} 1
a_total{x="2"} 2
# HELP h H.
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 1
h_sum 0.5
h_count 1
`

func TestCheckMetrics(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "app.network"), netUnit)
	writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.metrics=8000/metrics"))
	writeFile(t, filepath.Join(dir, "web.container"), svcUnit("io.berth.metrics=8080/stats"))
	writeFile(t, filepath.Join(dir, "db.container"), svcUnit())
	st, err := LoadStack(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	stub := &podman.Stub{}
	stub.On("podman image exists "+TestClientImage, 0, "")
	run := "podman run --rm --pull=never --network app-net " + TestClientImage + " -timeout 15s -get "
	stub.On(run+"http://systemd-api:8000/metrics", 0, sampleMetrics)
	stub.Replies = append(stub.Replies, podman.Reply{Prefix: strings.Fields(run + "http://systemd-web:8080/stats"), Code: 1,
		Stderr: "failed to connect to syslog\nGET http://systemd-web:8080/stats: 404 Not Found: 404 page not found\n"})
	got, err := CheckMetrics(context.Background(), st, stub, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("checks: %+v", got)
	}
	api, web := got[0], got[1]
	if !api.OK() || api.Families != 2 || api.Samples != 6 || api.Network != "app-net" {
		t.Errorf("api: %+v", api)
	}
	if web.OK() || web.Status != 404 || !strings.HasPrefix(web.Error, "GET http://systemd-web:8080/stats: 404") {
		t.Errorf("web: %+v", web)
	}

	one, err := CheckMetrics(context.Background(), st, stub, CheckOptions{Service: "api", Image: "localhost/busybox:1"})
	if err != nil || len(one) != 1 {
		t.Fatalf("%v %+v", err, one)
	}
	last := stub.Commands()[len(stub.Commands())-1]
	if last != "podman run --rm --pull=never --network app-net --entrypoint wget localhost/busybox:1 -q -T 15 -O - http://systemd-api:8000/metrics" {
		t.Errorf("wget command: %s", last)
	}
	if _, err := CheckMetrics(context.Background(), st, stub, CheckOptions{Service: "db"}); err == nil ||
		!strings.Contains(err.Error(), "Label=io.berth.metrics=PORT/PATH") {
		t.Errorf("db: %v", err)
	}
}

func TestCheckMetricsNoImage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	writeFile(t, filepath.Join(dir, "api.container"), svcUnit("io.berth.metrics=8000"))
	st, err := LoadStack(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	stub := (&podman.Stub{}).On("podman image exists", 1, "")
	if _, err := CheckMetrics(context.Background(), st, stub, CheckOptions{}); err == nil || !strings.Contains(err.Error(), "--image") {
		t.Errorf("want a hint about --image, got %v", err)
	}
}
