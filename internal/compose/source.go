package compose

import (
	"strconv"
	"strings"

	"github.com/berth-dev/berth/internal/diag"
)

// Source is where a line of a generated quadlet came from in the compose
// files: its service (or top-level network or volume), the compose key,
// and the key's position as far as it is known.
type Source struct {
	Service string // compose service, "" for networks and volumes
	Key     string // compose key path below the service, network or volume, e.g. "ports"
	Pos     diag.Pos
}

// String names the source for people: "service db: ports", "network back".
func (s Source) String() string {
	if s.Service == "" {
		return s.Key
	}
	if s.Key != "" {
		return "service " + s.Service + ": " + s.Key
	}
	return "service " + s.Service
}

// unitKeySource maps the keys berth writes into a container unit to the
// compose key they come from.
var unitKeySource = map[string]string{
	"Image": "image", "Pull": "pull_policy", "ContainerName": "container_name", "HostName": "hostname",
	"User": "user", "Group": "user", "WorkingDir": "working_dir", "Label": "labels", "Annotation": "annotations",
	"Exec": "command", "Entrypoint": "entrypoint", "Environment": "environment", "EnvironmentFile": "env_file",
	"PublishPort": "ports", "ExposeHostPort": "expose", "Network": "networks", "NetworkAlias": "networks",
	"IP": "networks", "IP6": "networks", "DNS": "dns", "DNSSearch": "dns_search", "DNSOption": "dns_opt",
	"AddHost": "extra_hosts", "Volume": "volumes", "Mount": "volumes", "Tmpfs": "tmpfs", "Secret": "secrets",
	"HealthCmd": "healthcheck.test", "HealthInterval": "healthcheck.interval", "HealthTimeout": "healthcheck.timeout",
	"HealthRetries": "healthcheck.retries", "HealthStartPeriod": "healthcheck.start_period",
	"HealthStartupInterval": "healthcheck.start_interval", "Notify": "healthcheck",
	"AddCapability": "cap_add", "DropCapability": "cap_drop", "SecurityLabelDisable": "security_opt",
	"SecurityLabelType": "security_opt", "NoNewPrivileges": "security_opt", "SeccompProfile": "security_opt",
	"ReadOnly": "read_only", "ShmSize": "shm_size", "Sysctl": "sysctls", "Ulimit": "ulimits", "AddDevice": "devices",
	"Memory": "mem_limit", "PidsLimit": "pids_limit", "StopSignal": "stop_signal", "StopTimeout": "stop_grace_period",
	"LogDriver": "logging", "UserNS": "userns_mode", "GroupAdd": "group_add", "Init": "init",
	"Restart": "restart", "TimeoutStopSec": "stop_grace_period", "Requires": "depends_on", "Wants": "depends_on",
	"After": "depends_on", "BindsTo": "depends_on", "ImageTag": "image", "File": "build.dockerfile",
	"SetWorkingDirectory": "build.context", "Target": "build.target",
	"Driver": "driver", "Subnet": "ipam", "Gateway": "ipam", "IPRange": "ipam", "Internal": "internal",
	"IPv6": "enable_ipv6", "NetworkName": "name", "VolumeName": "name",
}

// SourceOf tells where the line `key=value` of the generated unit (as
// ToUnits names it) came from; occurrence counts the lines with the same key
// before it in the unit, and total all of them, so that the third
// PublishPort= points at the third port when the numbers match. The
// position falls back to the compose key, then to the service.
func (p *Project) SourceOf(unit, key, value string, occurrence, total int) Source {
	base, ext, _ := strings.Cut(unit, ".")
	name, ok := strings.CutPrefix(base, p.Name+"-")
	if !ok {
		return Source{}
	}
	var prefix string
	var src Source
	switch ext {
	case "container":
		prefix, src.Service = "services."+name, name
	case "build":
		prefix, src.Service = "services."+name+".build", name
	case "network":
		prefix, src.Key = "networks."+name, "network "+name
	case "volume":
		prefix, src.Key = "volumes."+name, "volume "+name
	default:
		return Source{}
	}
	ckey := unitKeySource[key]
	if key == "PodmanArgs" {
		// --privileged → privileged, --cpus=2 → cpus, --shm-size → shm_size
		flag, _, _ := strings.Cut(strings.TrimLeft(strings.Trim(value, `"'`), "-"), "=")
		ckey = strings.ReplaceAll(flag, "-", "_")
	}
	if ext == "build" && ckey != "" && !strings.HasPrefix(ckey, "build.") {
		ckey = ""
	} else if ext == "build" {
		ckey = strings.TrimPrefix(ckey, "build.")
	}
	if ckey == "" || p.pos == nil {
		src.Pos = p.pos.find(prefix)
		return src
	}
	path := prefix + "." + ckey
	if _, ok := p.pos.at[path]; !ok {
		src.Pos = p.pos.find(prefix)
		return src
	}
	if src.Service != "" {
		src.Key = ckey
	}
	src.Pos = p.pos.at[path]
	if item := p.pos.item(path, key, value, occurrence, total); item != "" {
		src.Pos = p.pos.at[item]
	}
	return src
}

// item finds the list item or mapping entry of path a unit line came from:
// environment and labels by variable name, other lists by position when
// the compose list has exactly as many items as the unit has lines.
func (p *positions) item(path, key, value string, occurrence, total int) string {
	if key == "Environment" || key == "Label" || key == "Annotation" || key == "Sysctl" {
		name, _, _ := strings.Cut(strings.Trim(value, `"'`), "=")
		if _, ok := p.at[path+"."+name]; ok {
			return path + "." + name
		}
		for i := 0; ; i++ {
			sub := path + "." + strconv.Itoa(i)
			v, ok := p.val[sub]
			if !ok {
				if _, ok := p.at[sub]; !ok {
					return ""
				}
				continue
			}
			if v == name || strings.HasPrefix(v, name+"=") {
				return sub
			}
		}
	}
	n := 0
	for {
		if _, ok := p.at[path+"."+strconv.Itoa(n)]; !ok {
			break
		}
		n++
	}
	if n > 0 && occurrence < n && total == n {
		return path + "." + strconv.Itoa(occurrence)
	}
	return ""
}
