package compose

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
)

// Source is where a line of a generated quadlet came from in the compose
// files: its service (or top-level network or volume), the compose key with
// the list item or map entry it was made from, and the key's position.
type Source struct {
	Service string // compose service, "" for networks and volumes
	Owner   string // "service db", "network back", "volume data"
	// Key is the compose key path below the owner, with the item when it is
	// known: "ports.1", "environment.DB_PASSWORD", "depends_on.db".
	Key string
	Pos diag.Pos
	// Unset: no compose key is written for it. Either berth adds the line
	// itself (the project's default network, the container's name), or the
	// key is left at its default; Key then names the compose key that
	// would set it (when there is one), and Pos is the owner's position.
	Unset bool

	prefix string // the owner's key path: services.web, services.web.build, networks.back
}

// String names the source for people: "service db: ports.0", "network
// back", "service web: restart (not set)".
func (s Source) String() string {
	switch {
	case s.Key == "":
		return s.Owner
	case s.Unset:
		return s.Owner + ": " + s.Key + " (not set)"
	}
	return s.Owner + ": " + s.Key
}

// unitKeySource maps the keys berth writes into a unit to the compose keys
// they come from, below the service (network, volume, build); "|" separates
// the places one key may come from, most specific first.
var unitKeySource = map[string]string{
	"Image": "image|build", "Pull": "pull_policy", "ContainerName": "container_name", "HostName": "hostname",
	"User": "user", "Group": "user", "WorkingDir": "working_dir", "Label": "labels", "Annotation": "annotations",
	"Exec": "command", "Entrypoint": "entrypoint", "Environment": "environment", "EnvironmentFile": "env_file",
	"PublishPort": "ports", "ExposeHostPort": "expose", "Network": "networks|network_mode", "NetworkAlias": "networks",
	"IP": "networks", "IP6": "networks", "DNS": "dns", "DNSSearch": "dns_search", "DNSOption": "dns_opt",
	"AddHost": "extra_hosts", "Volume": "volumes|configs", "Mount": "volumes|configs", "Tmpfs": "tmpfs|volumes",
	"Secret":    "secrets|environment",
	"HealthCmd": "healthcheck.test", "HealthInterval": "healthcheck.interval", "HealthTimeout": "healthcheck.timeout",
	"HealthRetries": "healthcheck.retries", "HealthStartPeriod": "healthcheck.start_period",
	"HealthStartupInterval": "healthcheck.start_interval", "Notify": "healthcheck",
	"AddCapability": "cap_add", "DropCapability": "cap_drop", "SecurityLabelDisable": "security_opt",
	"SecurityLabelType": "security_opt", "NoNewPrivileges": "security_opt", "SeccompProfile": "security_opt|x-podman",
	"ReadOnly": "read_only", "ShmSize": "shm_size", "Sysctl": "sysctls", "Ulimit": "ulimits",
	"AddDevice": "devices|gpus|deploy.resources.reservations.devices",
	"Memory":    "mem_limit|deploy.resources.limits.memory", "PidsLimit": "pids_limit|deploy.resources.limits.pids",
	"StopSignal": "stop_signal", "StopTimeout": "stop_grace_period",
	"LogDriver": "logging.driver|log_driver|logging", "LogOpt": "logging.options|log_opt|logging",
	"UserNS": "userns_mode", "GroupAdd": "group_add", "Init": "init", "RunInit": "init",
	"UIDMap": "x-podman.uidmaps", "GIDMap": "x-podman.gidmaps", "Rootfs": "x-podman.rootfs",
	"Restart": "restart", "TimeoutStopSec": "stop_grace_period",
	"Requires": "depends_on|network_mode|volumes_from|ipc|pid", "Wants": "depends_on", "After": "depends_on|network_mode|volumes_from|ipc|pid",
	"BindsTo": "depends_on", "ImageTag": "image", "File": "dockerfile", "SetWorkingDirectory": "context",
	"Target": "target", "Driver": "driver", "Subnet": "ipam", "Gateway": "ipam", "IPRange": "ipam",
	"Internal": "internal", "IPv6": "enable_ipv6", "NetworkName": "name", "VolumeName": "name",
}

// flagSource maps the podman flags berth passes in PodmanArgs= to their
// compose keys, where the key is not the flag's name with _ for -.
var flagSource = map[string]string{
	"interactive": "stdin_open", "memory": "mem_limit|deploy.resources.limits.memory",
	"memory-reservation": "mem_reservation|deploy.resources.reservations.memory",
	"memory-swap":        "memswap_limit", "memory-swappiness": "mem_swappiness", "cpus": "cpus|deploy.resources.limits.cpus",
	"cpuset-cpus": "cpuset", "cgroupns": "cgroup", "blkio-weight": "blkio_config.weight",
	"blkio-weight-device": "blkio_config.weight_device", "device-read-bps": "blkio_config.device_read_bps",
	"device-write-bps": "blkio_config.device_write_bps", "device-read-iops": "blkio_config.device_read_iops",
	"device-write-iops": "blkio_config.device_write_iops", "no-hosts": "x-podman.no_hosts", "passwd": "x-podman.passwd",
	"security-opt": "security_opt", "stop-timeout": "stop_grace_period", "log-driver": "logging.driver|log_driver",
	"log-opt": "logging.options|log_opt", "add-host": "extra_hosts", "dns-option": "dns_opt", "hostname": "hostname",
	"workdir": "working_dir", "ulimit": "ulimits", "sysctl": "sysctls", "rootfs": "x-podman.rootfs",
	"uidmap": "x-podman.uidmaps", "gidmap": "x-podman.gidmaps", "device-cgroup-rule": "device_cgroup_rules",
	"storage-opt": "storage_opt", "build-arg": "args", "no-cache": "no_cache", "platform": "platforms|platform",
	"build-context": "additional_contexts", "secret": "secrets", "shm-size": "shm_size",
}

// SourceAt tells where line n (1-based) of a generated unit came from;
// lines is the unit's text as it is written (Format), one string a line.
// Comments, section headers and lines that are not in the text give the
// unit's owner.
func (p *Project) SourceAt(unit string, lines []string, n int) Source {
	var key, value string
	if n >= 1 && n <= len(lines) {
		raw := strings.TrimSpace(lines[n-1])
		if k, v, ok := strings.Cut(raw, "="); ok && !strings.HasPrefix(raw, "#") && !strings.HasPrefix(raw, ";") {
			key, value = strings.TrimSpace(k), v
		}
	}
	occ, total := 0, 0
	if key != "" {
		for i, l := range lines {
			if k, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == key {
				if i+1 < n {
					occ++
				}
				total++
			}
		}
	}
	return p.SourceOf(unit, key, value, occ, total)
}

// SourceOf tells where the line `key=value` of the generated unit (as
// ToUnits names it) came from; occurrence counts the lines with the same key
// before it in the unit, and total all of them, so that the third
// PublishPort= points at the third port when nothing better identifies it.
// With an empty value it names the compose key that sets the unit key. The
// position falls back to the compose key, then to its owner; a unit of
// another project, or none, gives the zero Source.
func (p *Project) SourceOf(unit, key, value string, occurrence, total int) Source {
	src, prefix, ok := p.owner(unit)
	if !ok {
		return Source{}
	}
	src.prefix = prefix
	src.Pos = p.pos.find(prefix)
	if key == "" {
		return src
	}
	value = unescape(strings.TrimSpace(value))
	alts := unitKeySource[key]
	if key == "PodmanArgs" || key == "GlobalArgs" {
		// --privileged → privileged, --cpus=2 → cpus, --shm-size → shm_size
		flag, _, _ := strings.Cut(strings.TrimLeft(strings.Trim(value, `"'`), "-"), "=")
		flag, _, _ = strings.Cut(flag, " ")
		alts = flagSource[flag]
		if alts == "" {
			alts = strings.ReplaceAll(flag, "-", "_")
		}
	}
	if alts == "" {
		src.Unset = true
		return src
	}
	var first string
	for _, ckey := range strings.Split(alts, "|") {
		path := prefix + "." + ckey
		if _, ok := p.pos.at[path]; !ok {
			continue
		}
		if item := p.pos.item(p, path, key, value, occurrence, total); item != "" {
			src.Key, src.Pos = strings.TrimPrefix(item, prefix+"."), p.pos.at[item]
			return src
		}
		if first == "" {
			first = path
		}
	}
	if first == "" {
		src.Key, src.Unset = strings.Split(alts, "|")[0], true
		return src
	}
	src.Key, src.Pos = strings.TrimPrefix(first, prefix+"."), p.pos.at[first]
	return src
}

// Narrow moves a source to the entry below its key that item names: the
// alias www of networks.back (networks.back.aliases.0), a variable of a
// list. The source is returned as it is when no entry names item.
func (p *Project) Narrow(src Source, item string) Source {
	if item == "" || src.Unset || src.Key == "" || p.pos == nil {
		return src
	}
	prefix := src.prefix
	path := prefix + "." + src.Key
	if _, ok := p.pos.at[path]; !ok {
		return src
	}
	if sub := p.pos.below(path, item); sub != "" {
		src.Key, src.Pos = strings.TrimPrefix(sub, prefix+"."), p.pos.at[sub]
	}
	return src
}

// owner finds the service, network or volume a generated unit belongs to,
// and the key path of its definition. Replicas of a scaled service
// (P-web-2.container) belong to the service.
func (p *Project) owner(unit string) (Source, string, bool) {
	base, ext, _ := strings.Cut(unit, ".")
	name, ok := strings.CutPrefix(base, p.Name+"-")
	if !ok || p.pos == nil {
		return Source{}, "", false
	}
	switch ext {
	case "container", "build":
		if _, ok := p.Services[name]; !ok {
			if i := strings.LastIndexByte(name, '-'); i > 0 {
				if _, err := strconv.Atoi(name[i+1:]); err == nil {
					name = name[:i]
				}
			}
		}
		if _, ok := p.Services[name]; !ok {
			return Source{}, "", false
		}
		prefix := "services." + name
		if ext == "build" {
			prefix += ".build"
		}
		return Source{Service: name, Owner: "service " + name}, prefix, true
	case "network":
		return Source{Owner: "network " + name}, "networks." + name, true
	case "volume":
		return Source{Owner: "volume " + name}, "volumes." + name, true
	}
	return Source{}, "", false
}

// unescape undoes the systemd escaping of converted values (%% and $$).
func unescape(s string) string {
	return strings.NewReplacer("%%", "%", "$$", "$").Replace(s)
}

// Place moves a diagnostic on a generated unit (lines: the unit's text as
// written) to the compose file, line and column of the key the unit's line
// came from, naming the service and key in the message and the generated
// line in the hint, so that every verb reports a problem of a compose
// project where the user can fix it. A diagnostic that cannot be placed
// (another unit, a project without positions) is returned as it is.
func (p *Project) Place(d diag.Diagnostic, unit string, lines []string) diag.Diagnostic {
	src := p.SourceAt(unit, lines, d.Pos.Line)
	if src.Owner == "" {
		return d
	}
	raw := ""
	if n := d.Pos.Line; n >= 1 && n <= len(lines) {
		raw = strings.TrimSpace(lines[n-1])
		if !strings.Contains(raw, "=") || strings.HasPrefix(raw, "#") || strings.HasPrefix(raw, ";") {
			raw = ""
		}
	}
	d.Pos = src.Pos
	d.Message = src.String() + ": " + d.Message
	d.Hint = joinHint(d.Hint, Generated(src, unit, raw))
	return d
}

// Generated says which unit line a finding is about: "generated as
// Volume=./x:/x in P-web.container", and when no compose key is behind
// it, that berth added it.
func Generated(src Source, unit, line string) string {
	switch {
	case line == "":
		return "in the generated " + unit
	case src.Unset:
		return "berth adds " + line + " to " + unit + "; no compose key sets it"
	}
	return "generated as " + line + " in " + unit
}

func joinHint(hint, more string) string {
	if hint == "" {
		return more
	}
	return hint + "; " + more
}

// unitLine is "NAME.container:12" in a message.
var unitLine = regexp.MustCompile(`\b([A-Za-z0-9][A-Za-z0-9_.@-]*\.(?:container|network|volume|pod|build|image)):(\d+)\b`)

// Mention rewrites the places "UNIT:LINE" that a message names in other
// generated units (a port already published by another replica, say) as
// the compose file:line:col their lines came from; lines gives a generated
// unit's text, or nil for a unit that is not generated.
func (p *Project) Mention(msg string, lines func(unit string) []string) string {
	return unitLine.ReplaceAllStringFunc(msg, func(m string) string {
		sub := unitLine.FindStringSubmatch(m)
		text := lines(sub[1])
		if text == nil {
			return m
		}
		n, _ := strconv.Atoi(sub[2])
		src := p.SourceAt(sub[1], text, n)
		if src.Pos.File == "" {
			return m
		}
		pos := src.Pos
		pos.File = p.rel(pos.File)
		return pos.String()
	})
}
