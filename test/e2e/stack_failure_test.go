//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// A container whose command exits at once (web with a flag it does not
// know) fails its start (kept, with its log, until down), explained: the podman run line with the secret
// masked and the container's last log line. A container whose podman run
// itself fails shows podman's stderr. The dependant of the failed one is not
// started; the independent service runs.
func TestStackFailureExplained(t *testing.T) {
	s := newStack(t, map[string]string{
		"bad.container": `[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-bad
Exec=-bad-flag
Environment=API_TOKEN=sup3rs3cret
`,
		"dep.container": `[Unit]
Requires=bad.service
After=bad.service
[Container]
Image=localhost/berth-test/client:latest
ContainerName={P}-dep
`,
		"noimage.container": `[Container]
Image=localhost/berth-test/no-such-image:latest
ContainerName={P}-noimage
Pull=never
`,
		"ok.container": `[Container]
Image=localhost/berth-test/web:latest
ContainerName={P}-ok
`,
	})
	out, err := s.berthCmd("up", "-d", "--metrics-addr", "off")
	if err == nil {
		t.Fatalf("up -d succeeded:\n%s", out)
	}
	for _, want := range []string{
		"bad.service: ExecStart failed: the container exited with status 2 right after it started",
		"command: /usr/bin/podman run ",
		"localhost/berth-test/web:latest -bad-flag",
		"API_TOKEN=******",
		"last log lines:",
		"flag provided but not defined: -bad-flag",
		"dep            failed: dependency failed to start: container " + s.project + "-bad exited (2)",
		"noimage.service: ExecStart failed with exit status 125",
		"stderr:",
		"no-such-image",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "sup3rs3cret") {
		t.Errorf("the secret is in the output")
	}
	// The failed container is kept, exited, with its log (as docker
	// compose keeps it), until down.
	got := strings.Join(s.containers(), "\n")
	if got != s.project+"-bad exited\n"+s.project+"-ok running" && got != s.project+"-ok running\n"+s.project+"-bad exited" {
		t.Errorf("containers: %q (want bad exited, ok running)", got)
	}
	if logs := s.must("logs", "bad"); !strings.Contains(logs, "flag provided but not defined: -bad-flag") {
		t.Errorf("logs of the failed container:\n%s", logs)
	}
	ps := s.must("ps")
	for _, want := range []string{"bad      container  failed", "dep      container  failed", "ok       container  active"} {
		if !strings.Contains(ps, want) {
			t.Errorf("ps lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("up -d:\n%s\nps:\n%s", out, ps)
	}
	s.must("down")
}
