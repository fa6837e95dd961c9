package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/doctor"
	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/version"
)

// `berth version` names the host's podman, its generator, systemd and the
// cgroup hierarchy, whatever the target.
func TestVersionReportsHost(t *testing.T) {
	a, stdout, _ := testApp("berth", map[string]string{"BERTH_PODMAN_VERSION": "4.9.3"})
	a.probePodman = func(context.Context) (version.V, error) { return version.Must("5.8.6"), nil }
	a.doctorHost = &doctor.FakeHost{
		Stub: (&podman.Stub{}).On("systemctl --version", 0, "systemd 262 (262.1-1)\n"),
		Files: map[string]string{
			"/sys/fs/cgroup/cgroup.controllers":                          "",
			"/usr/lib/systemd/system-generators/podman-system-generator": "",
		},
	}
	if code := a.run([]string{"version"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	want := "host: podman 5.8.6 (quadlet generator /usr/lib/systemd/system-generators/podman-system-generator), systemd 262 (262.1-1), cgroup v2\n"
	if !strings.Contains(stdout.String(), "podman target: 4.9.3") || !strings.HasSuffix(stdout.String(), want) {
		t.Errorf("berth version:\n%s\nwant the last line %q", stdout, want)
	}
}
