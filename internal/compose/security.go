package compose

import (
	"path/filepath"
	"strings"
)

// security maps capabilities, privileges, security_opt, devices, sysctls
// and namespace settings.
func (v *svc) security() {
	s := v.s
	for _, c := range s.CapAdd {
		v.u.set("AddCapability", c)
	}
	for _, c := range s.CapDrop {
		v.u.set("DropCapability", c)
	}
	if s.Privileged {
		v.u.podmanArgs("--privileged")
	}
	if s.ReadOnly {
		v.u.set("ReadOnly", "true")
	}
	for _, o := range s.SecurityOpt {
		v.securityOpt(o)
	}
	for _, d := range s.Devices {
		spec := d.Source
		if d.Target != "" {
			spec += ":" + d.Target
		}
		if d.Permissions != "" {
			spec += ":" + d.Permissions
		}
		v.u.set("AddDevice", spec)
	}
	for _, k := range sortedKeys(s.Sysctls) {
		v.keyOr("Sysctl", k+"="+s.Sysctls[k], "--sysctl")
	}
	for _, g := range s.GroupAdd {
		v.keyOr("GroupAdd", g, "--group-add")
	}
	if s.UserNSMode != "" {
		v.u.set("UserNS", s.UserNSMode)
	}
	v.namespaces()
}

// securityOpt maps one security_opt to its quadlet key, else --security-opt.
func (v *svc) securityOpt(o string) {
	k, val, _ := strings.Cut(o, "=")
	if !strings.Contains(o, "=") {
		k, val, _ = strings.Cut(o, ":")
	}
	switch {
	case k == "no-new-privileges" && (val == "" || val == "true"):
		v.u.set("NoNewPrivileges", "true")
	case k == "label" && val == "disable":
		v.u.set("SecurityLabelDisable", "true")
	case k == "label" && strings.HasPrefix(val, "type:"):
		v.u.set("SecurityLabelType", strings.TrimPrefix(val, "type:"))
	case k == "label" && strings.HasPrefix(val, "level:"):
		v.u.set("SecurityLabelLevel", strings.TrimPrefix(val, "level:"))
	case k == "seccomp" && val != "unconfined":
		if !filepath.IsAbs(val) && val != "" {
			val = filepath.Join(v.p.WorkingDir, val) // relative to the project folder, as docker compose reads it
		}
		v.u.set("SeccompProfile", val)
	case val != "":
		v.u.podmanArgs("--security-opt=" + k + "=" + val)
	default:
		v.u.podmanArgs("--security-opt=" + o)
	}
}

// namespaces maps ipc, pid, uts, cgroup and the runtime settings podman
// only has flags for.
func (v *svc) namespaces() {
	s := v.s
	v.joinNamespace("ipc", "--ipc", s.Ipc)
	v.joinNamespace("pid", "--pid", s.Pid)
	for _, f := range []struct{ flag, val string }{
		{"--uts", s.Uts}, {"--cgroupns", s.Cgroup},
		{"--cgroup-parent", s.CgroupParent}, {"--runtime", s.Runtime}, {"--mac-address", s.MacAddress},
	} {
		if f.val != "" {
			v.u.podmanArgs(f.flag + "=" + f.val)
		}
	}
	if s.OomKillDisable {
		v.u.podmanArgs("--oom-kill-disable")
	}
	if s.OomScoreAdj != 0 {
		v.flagInt("--oom-score-adj", s.OomScoreAdj)
	}
	for _, r := range s.DeviceCgroupRules {
		v.u.podmanArgs("--device-cgroup-rule=" + r)
	}
	for _, k := range sortedKeys(s.StorageOpt) {
		v.u.podmanArgs("--storage-opt=" + k + "=" + s.StorageOpt[k])
	}
	if s.Umask != nil {
		v.u.podmanArgs("--umask=" + strings.TrimPrefix(octal(*s.Umask), "0"))
	}
	if len(s.Gpus) > 0 {
		v.u.set("AddDevice", "nvidia.com/gpu=all")
		v.approx("gpus", "gpus became the CDI device nvidia.com/gpu=all", "generate the CDI spec with nvidia-ctk cdi generate")
	}
}

// joinNamespace maps ipc: and pid: values; service:NAME joins the
// namespace of that service's container, which then starts first, as
// docker compose orders it.
func (v *svc) joinNamespace(key, flag, val string) {
	other, ok := strings.CutPrefix(val, "service:")
	if !ok {
		if val != "" {
			v.u.podmanArgs(flag + "=" + val)
		}
		return
	}
	if _, ok := v.p.Services[other]; !ok {
		v.fail(key, "service "+other+" is not in the project (is its profile active?)", "enable the service or change "+key)
		return
	}
	v.u.podmanArgs(flag + "=container:" + ContainerName(v.p, other))
	v.u.requires("Requires", v.containerFile(other))
}

func octal(n uint32) string {
	const digits = "01234567"
	if n == 0 {
		return "0000"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%8]}, b...)
		n /= 8
	}
	for len(b) < 4 {
		b = append([]byte{'0'}, b...)
	}
	return string(b)
}
