package doctor

import (
	"context"
	"testing"

	"github.com/berth-dev/berth/internal/podman"
)

func TestDetectVersions(t *testing.T) {
	sid := (&podman.Stub{}).On("systemctl --version", 0, "systemd 262 (262.1-1)\n+PAM +AUDIT\n")
	bookworm := (&podman.Stub{}).On("systemctl --version", 0, "systemd 252 (252.39-1~deb12u2)\n+PAM\n")
	for _, tc := range []struct {
		name string
		h    *FakeHost
		want HostVersions
		text string
	}{
		{"sid", &FakeHost{Stub: sid, Files: map[string]string{
			"/sys/fs/cgroup/cgroup.controllers":                          "",
			"/usr/lib/systemd/system-generators/podman-system-generator": "",
		}}, HostVersions{Systemd: "262 (262.1-1)", Cgroup: "v2", Generator: "/usr/lib/systemd/system-generators/podman-system-generator"},
			"systemd 262 (262.1-1), cgroup v2"},
		{"bookworm", &FakeHost{Stub: bookworm, Files: map[string]string{
			"/sys/fs/cgroup/unified/cgroup.controllers": "", "/sys/fs/cgroup/memory/tasks": "",
		}}, HostVersions{Systemd: "252 (252.39-1~deb12u2)", Cgroup: "v1 (hybrid)"},
			"systemd 252 (252.39-1~deb12u2), cgroup v1 (hybrid)"},
		{"v1 without systemctl", &FakeHost{Missing: []string{"systemctl"}, Files: map[string]string{"/sys/fs/cgroup/memory/tasks": ""}},
			HostVersions{Cgroup: "v1"}, "no systemctl, cgroup v1"},
		{"nothing", &FakeHost{Stub: (&podman.Stub{}).On("systemctl", 1, "")}, HostVersions{}, "no systemctl, cgroup unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := DetectVersions(context.Background(), tc.h)
			if got != tc.want {
				t.Errorf("DetectVersions = %+v, want %+v", got, tc.want)
			}
			if s := got.String(); s != tc.text {
				t.Errorf("String() = %q, want %q", s, tc.text)
			}
		})
	}
}
