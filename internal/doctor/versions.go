package doctor

import (
	"context"
	"strings"
)

// HostVersions is what `berth version` and `berth doctor` report of the
// machine besides podman: the service manager and the cgroup hierarchy, the
// two things that decide how quadlet units run (systemd >= 256 refuses
// cgroup v1; podman on a v1 hybrid host needs runc).
type HostVersions struct {
	Systemd   string // "262 (262.1-1)", "" when systemctl is missing
	Cgroup    string // "v2", "v1 (hybrid)" or "v1"
	Generator string // podman's quadlet generator, "" when none
}

// DetectVersions asks systemctl for its version and reads the cgroup mount
// layout: /sys/fs/cgroup/cgroup.controllers exists only on the unified (v2)
// hierarchy; a hybrid host mounts that at /sys/fs/cgroup/unified.
func DetectVersions(ctx context.Context, h Host) HostVersions {
	var v HostVersions
	if out, _, code, err := h.Run(ctx, "systemctl", "--version"); err == nil && code == 0 {
		first, _, _ := strings.Cut(out, "\n")
		v.Systemd = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(first), "systemd "))
	}
	switch {
	case h.Exists("/sys/fs/cgroup/cgroup.controllers"):
		v.Cgroup = "v2"
	case h.Exists("/sys/fs/cgroup/unified/cgroup.controllers"):
		v.Cgroup = "v1 (hybrid)"
	case h.Exists("/sys/fs/cgroup"):
		v.Cgroup = "v1"
	}
	for _, p := range podmanGenerators {
		if h.Exists(p) {
			v.Generator = p
			break
		}
	}
	return v
}

// String is "systemd 262 (262.1-1), cgroup v2", naming what is unknown.
func (v HostVersions) String() string {
	sd, cg := "systemd "+v.Systemd, "cgroup "+v.Cgroup
	if v.Systemd == "" {
		sd = "no systemctl"
	}
	if v.Cgroup == "" {
		cg = "cgroup unknown"
	}
	return sd + ", " + cg
}
