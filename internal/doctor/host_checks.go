package doctor

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/berth-dev/berth/internal/podman"
	"github.com/berth-dev/berth/internal/version"
)

// podmanInfo is the part of `podman info --format json` doctor reads.
type podmanInfo struct {
	Host struct {
		CgroupManager  string `json:"cgroupManager"`
		CgroupVersion  string `json:"cgroupVersion"`
		NetworkBackend string `json:"networkBackend"`
		OCIRuntime     struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"ociRuntime"`
		Security struct {
			Rootless bool `json:"rootless"`
		} `json:"security"`
		Distribution struct {
			Distribution string `json:"distribution"`
		} `json:"distribution"`
	} `json:"host"`
}

func (d *doctor) hostChecks() {
	d.checkPodman()
	if d.podman.IsZero() {
		return
	}
	d.checkInfo()
	d.checkRuntime()
	d.checkCgroups()
	d.checkNetwork()
	d.checkRootless()
	d.checkSystemd()
	d.checkGenerator()
}

// install is the package manager command for the host's distribution.
func (d *doctor) install(pkgs string) string {
	osRel, _ := d.h.ReadFile("/etc/os-release")
	s := string(osRel)
	switch {
	case strings.Contains(s, "ID=fedora") || strings.Contains(s, "rhel") || strings.Contains(s, "centos"):
		return "dnf install -y " + pkgs
	case strings.Contains(s, "ID=arch"):
		return "pacman -S " + pkgs
	case strings.Contains(s, "suse"):
		return "zypper install " + pkgs
	}
	return "apt-get install -y " + pkgs
}

func (d *doctor) checkPodman() {
	out, stderr, code, err := d.run("podman", "--version")
	if err != nil || code != 0 {
		d.rep.add(Check{Name: "podman", Status: Fail, Summary: "podman is not installed or does not run: " + firstLine(errText(err, stderr)),
			Fix: d.install("podman runc aardvark-dns")})
		return
	}
	v, perr := podman.ParseVersionLine(out)
	if perr != nil {
		d.rep.add(Check{Name: "podman", Status: Warn, Summary: "cannot read the version from " + firstLine(out)})
		d.podman = version.Must("4.0.0")
		return
	}
	d.podman = v
	c := Check{Name: "podman", Status: OK, Summary: "podman " + v.String()}
	if !v.AtLeast(version.Must("4.4.0")) {
		c.Summary += " (before 4.4: berth generates the units, podman cannot)"
	}
	d.rep.add(c)
}

func errText(err error, stderr string) string {
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(stderr)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func (d *doctor) checkInfo() {
	out, stderr, code, err := d.run("podman", "info", "--format", "json")
	var info podmanInfo
	if err != nil || code != 0 || json.Unmarshal([]byte(out), &info) != nil {
		d.rep.add(Check{Name: "podman-info", Status: Fail, Summary: "podman info fails: " + firstLine(errText(err, stderr)),
			Fix: "run `podman info` and fix what it reports (storage.conf, containers.conf)"})
		return
	}
	d.info = &info
}

const runcConf = `set runtime = "runc" under [engine] and default_ulimits = ["nofile=1024:1024"] under [containers] in /etc/containers/containers.conf`

// checkRuntime starts a trivial container from a local image, never pulling.
func (d *doctor) checkRuntime() {
	name := "runtime"
	if d.info != nil {
		name += " (" + d.info.Host.OCIRuntime.Name + ")"
	}
	out, _, code, _ := d.run("podman", "images", "--noheading", "--format", "{{.Repository}}:{{.Tag}}")
	for _, img := range strings.Fields(out) {
		if !strings.Contains(img, "<none>") {
			d.image = img
			break
		}
	}
	if code != 0 || d.image == "" {
		d.rep.add(Check{Name: name, Status: Skipped, Summary: "not checked: no local image to start a trial container from (berth doctor never pulls)",
			Fix: "podman pull or build any image, then run berth doctor again"})
		return
	}
	d.trialContainer(name)
}

// trialContainer creates, initialises and starts a container of d.image,
// and reads its /etc/hosts for host.containers.internal.
func (d *doctor) trialContainer(name string) {
	ctr := "berth-doctor-trial"
	defer d.run("podman", "rm", "-f", "-i", ctr)
	d.run("podman", "rm", "-f", "-i", ctr)
	_, stderr, code, _ := d.run("podman", "create", "--name", ctr, "--entrypoint", "true", d.image)
	if code == 0 {
		_, stderr, code, _ = d.run("podman", "init", ctr)
	}
	if code != 0 && !commandMissing(code, stderr) {
		d.rep.add(Check{Name: name, Status: Fail, Summary: "cannot create a container from " + d.image + ": " + firstLine(stderr),
			Details: []string{strings.TrimSpace(stderr)}, Fix: runtimeFix(stderr)})
		return
	}
	hostsPath, _, _, _ := d.run("podman", "inspect", "--format", "{{.HostsPath}}", ctr)
	if code == 0 {
		_, stderr, code, _ = d.run("podman", "start", "--attach", ctr)
	}
	switch {
	case code == 0 || commandMissing(code, stderr):
		d.rep.add(Check{Name: name, Status: OK, Summary: "a trial container of " + d.image + " started"})
	default:
		d.rep.add(Check{Name: name, Status: Fail, Summary: fmt.Sprintf("a trial container of %s did not start (exit %d): %s", d.image, code, firstLine(stderr)),
			Details: []string{strings.TrimSpace(stderr)}, Fix: runtimeFix(stderr)})
	}
	d.checkHostsFile(strings.TrimSpace(hostsPath))
}

// commandMissing reports the runtime's answer to a command the image lacks
// (FROM scratch images have no `true`): the runtime itself worked.
func commandMissing(code int, stderr string) bool {
	return code == 127 || strings.Contains(stderr, "executable file") && strings.Contains(stderr, "not found")
}

func runtimeFix(stderr string) string {
	switch {
	case strings.Contains(stderr, "hybrid mode"), strings.Contains(stderr, "RLIMIT_NOFILE"), strings.Contains(stderr, "setrlimit"):
		return runcConf
	case strings.Contains(stderr, "no such file") && strings.Contains(stderr, "runtime"):
		return "install an OCI runtime: apt-get install -y runc (or crun)"
	}
	return "run the command with --log-level=debug to see the runtime's error"
}

func (d *doctor) checkHostsFile(path string) {
	const name = "host.containers.internal"
	data, err := d.h.ReadFile(path)
	if path == "" || err != nil {
		d.rep.add(Check{Name: name, Status: Skipped, Summary: "not checked: the trial container's /etc/hosts could not be read"})
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		for _, n := range f[min(1, len(f)):] {
			if n == name {
				d.rep.add(Check{Name: name, Status: OK, Summary: "containers reach the host at " + f[0] + " (" + name + ")"})
				return
			}
		}
	}
	d.rep.add(Check{Name: name, Status: Warn, Summary: "containers get no host.containers.internal entry",
		Fix: "connect to the host's address directly, or AddHost=host.containers.internal:host-gateway (podman 5.3+)"})
}

func (d *doctor) checkCgroups() {
	if d.info == nil {
		return
	}
	v, mgr := d.info.Host.CgroupVersion, d.info.Host.CgroupManager
	hybrid := d.h.Exists("/sys/fs/cgroup/unified")
	shown := v
	if v == "v1" && hybrid {
		shown = "v1 (hybrid)"
	}
	c := Check{Name: "cgroups", Status: OK, Summary: fmt.Sprintf("cgroup %s, manager %s", shown, mgr)}
	switch {
	case v == "v1" && hybrid && d.info.Host.OCIRuntime.Name == "crun":
		c.Status, c.Summary = Fail, c.Summary+": crun does not support cgroups in hybrid mode"
		c.Fix = runcConf
	case v == "v1":
		c.Status, c.Summary = Warn, c.Summary+": cgroup v1 is deprecated; --cgroups=split of quadlet units may fail"
		c.Fix = "boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2, or keep runc as the runtime"
	case mgr == "cgroupfs" && d.systemdPID1():
		c.Status = Warn
		c.Fix = `set cgroup_manager = "systemd" under [engine] in containers.conf: units delegate cgroups to podman`
	}
	d.rep.add(c)
}

// netHelpers are where podman looks for netavark and aardvark-dns.
var netHelpers = []string{"/usr/libexec/podman", "/usr/lib/podman", "/usr/local/libexec/podman", "/usr/local/lib/podman"}

func (d *doctor) checkNetwork() {
	if d.info == nil {
		return
	}
	backend := d.info.Host.NetworkBackend
	c := Check{Name: "network", Status: OK, Summary: "backend " + backend}
	if backend == "cni" {
		c.Status, c.Summary = Warn, c.Summary+": containers resolve each other by name only with the dnsname plugin"
		c.Fix = `set network_backend = "netavark" under [network] in containers.conf, then podman system reset`
		d.rep.add(c)
		return
	}
	found := ""
	for _, dir := range netHelpers {
		if d.h.Exists(dir + "/aardvark-dns") {
			found = dir + "/aardvark-dns"
			break
		}
	}
	if found == "" {
		c.Status, c.Summary = Fail, c.Summary+", aardvark-dns missing: containers on a .network cannot find each other by name"
		c.Fix = d.install("aardvark-dns")
	} else {
		c.Summary += ", DNS by " + found
	}
	d.rep.add(c)
}

func (d *doctor) checkRootless() {
	uid, user := d.h.UID(), d.h.UserName()
	if uid == 0 {
		d.rep.add(Check{Name: "rootless", Status: Skipped, Summary: "not checked: running as root"})
		return
	}
	var missing []string
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		data, _ := d.h.ReadFile(f)
		if !hasIDRange(string(data), user, uid) {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		d.rep.add(Check{Name: "rootless", Status: Fail, Summary: "no entry for " + user + " in " + strings.Join(missing, " and "),
			Fix: fmt.Sprintf("usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s && podman system migrate", user)})
	} else {
		d.rep.add(Check{Name: "rootless", Status: OK, Summary: "subordinate uid and gid ranges for " + user})
	}
	if d.h.Exists("/var/lib/systemd/linger/" + user) {
		d.rep.add(Check{Name: "linger", Status: OK, Summary: "lingering is enabled: user units run without a login"})
		return
	}
	d.rep.add(Check{Name: "linger", Status: Warn, Summary: "lingering is off: " + user + "'s units stop at logout and do not start at boot",
		Fix: "loginctl enable-linger " + user})
}

func hasIDRange(data, user string, uid int) bool {
	for _, line := range strings.Split(data, "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), ":")
		if name != "" && (name == user || name == fmt.Sprint(uid)) {
			return true
		}
	}
	return false
}

func (d *doctor) systemdPID1() bool {
	comm, _ := d.h.ReadFile("/proc/1/comm")
	return strings.TrimSpace(string(comm)) == "systemd"
}

func (d *doctor) checkSystemd() {
	comm, _ := d.h.ReadFile("/proc/1/comm")
	if d.systemdPID1() {
		sum := "PID 1 is systemd"
		if v := DetectVersions(d.ctx, d.h); v.Systemd != "" {
			sum += " " + v.Systemd
		}
		d.rep.add(Check{Name: "systemd", Status: OK, Summary: sum})
		return
	}
	installed := ""
	if v := DetectVersions(d.ctx, d.h); v.Systemd != "" {
		installed = " (systemd " + v.Systemd + " is installed)"
	}
	d.rep.add(Check{Name: "systemd", Status: Warn, Summary: fmt.Sprintf("PID 1 is %q, not systemd%s: quadlet units cannot run here", strings.TrimSpace(string(comm)), installed),
		Fix: "run the stack with berth up (berth supervises it without systemd)"})
}

// podmanGenerators are where podman installs its quadlet generator.
var podmanGenerators = []string{"/usr/lib/systemd/system-generators/podman-system-generator",
	"/lib/systemd/system-generators/podman-system-generator", "/usr/libexec/podman/quadlet"}

// Where berth install puts its generator link, and the mask it gives
// podman's (systemd runs a generator from /etc instead of one of the same
// name in /usr/lib; a link to /dev/null disables it).
const (
	berthSystemGenerator = "/etc/systemd/system-generators/berth-system-generator"
	podmanGeneratorMask  = "/etc/systemd/system-generators/podman-system-generator"
)

func (d *doctor) checkGenerator() {
	const name = "quadlet generator"
	_, err := d.h.Readlink(berthSystemGenerator)
	berthOn := err == nil
	if !d.podman.AtLeast(version.Must("4.4.0")) {
		d.rep.add(Check{Name: name, Status: OK, Summary: fmt.Sprintf("podman %s has no quadlet generator: berth generates the units (berth install links it)", d.podman)})
		return
	}
	podmanGen := ""
	for _, g := range podmanGenerators {
		if d.h.Exists(g) {
			podmanGen = g
			break
		}
	}
	mask, _ := d.h.Readlink(podmanGeneratorMask)
	switch {
	case berthOn && podmanGen != "" && mask != "/dev/null":
		// Typically podman was upgraded after berth install made berth the
		// generator of a podman without one: systemd runs generators in
		// parallel, and both write the same units into the same folder.
		d.rep.add(Check{Name: name, Status: Warn,
			Summary: fmt.Sprintf("two quadlet generators run: berth's (%s) and podman %s's (%s); both write the same units, at the same time", berthSystemGenerator, d.podman, podmanGen),
			Fix:     fmt.Sprintf("keep one: `rm %s && systemctl daemon-reload` leaves it to podman, `ln -s /dev/null %s && systemctl daemon-reload` to berth", berthSystemGenerator, podmanGeneratorMask)})
	case berthOn:
		d.rep.add(Check{Name: name, Status: OK, Summary: "berth generates the units (" + berthSystemGenerator + ")"})
	case podmanGen != "":
		d.rep.add(Check{Name: name, Status: OK, Summary: "podman generates the units (" + podmanGen + ")"})
	default:
		d.rep.add(Check{Name: name, Status: Warn, Summary: "podman " + d.podman.String() + " is installed without its quadlet generator",
			Fix: "berth install (berth generates the units), or reinstall podman with quadlet"})
	}
}
