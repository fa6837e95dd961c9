package compose

import (
	"path/filepath"
	"strconv"
	"strings"
)

// item finds the list item or map entry of the compose key at path that
// the unit line key=value was made from: by what the line names (a
// variable, a dependency, a mount's target, a secret, a network), else by
// position when the compose list has exactly as many items as the unit has
// lines of the key. "" when the key as a whole is all that is known.
func (p *positions) item(proj *Project, path, key, value string, occurrence, total int) string {
	if key == "PodmanArgs" || key == "GlobalArgs" {
		return p.flagItem(path, value)
	}
	if m := p.matchItem(proj, path, key, value); m != "" {
		return m
	}
	switch key {
	case "Requires", "Wants", "After", "BindsTo", "Network", "Secret", "Environment", "Label", "Annotation", "Sysctl":
		return "" // named items: a count says nothing
	}
	kids := p.kids[path]
	if len(kids) > 0 && occurrence < len(kids) && total == len(kids) && isIndex(kids[0], path) {
		return kids[occurrence]
	}
	return ""
}

func isIndex(sub, path string) bool {
	_, err := strconv.Atoi(strings.TrimPrefix(sub, path+"."))
	return err == nil
}

// matchItem finds the item by what the unit line names.
func (p *positions) matchItem(proj *Project, path, key, value string) string {
	last := path[strings.LastIndexByte(path, '.')+1:]
	switch key {
	case "Environment", "Label", "Annotation", "Sysctl":
		name, _, _ := strings.Cut(strings.Trim(value, `"'`), "=")
		return p.named(path, name, func(v string) bool { return v == name || strings.HasPrefix(v, name+"=") })
	case "Requires", "Wants", "After", "BindsTo":
		svc, ok := serviceOfUnit(proj, value)
		if !ok {
			return ""
		}
		if last != "depends_on" { // network_mode: service:db, volumes_from: [db:ro], pid: service:db
			if v, ok := p.val[path]; ok && strings.HasSuffix(v, ":"+svc) {
				return path
			}
		}
		return p.named(path, svc, func(v string) bool { return v == svc || strings.HasPrefix(v, svc+":") })
	case "Network":
		name, _, _ := strings.Cut(value, ":")
		if last == "network_mode" {
			return path
		}
		if strings.HasSuffix(name, ".network") {
			name = strings.TrimSuffix(strings.TrimPrefix(name, proj.Name+"-"), ".network")
		} else {
			for k, n := range proj.Networks { // an external network, by its name
				if n.Name == name {
					name = k
				}
			}
		}
		return p.named(path, name, func(v string) bool { return v == name })
	case "Secret":
		return p.secretItem(proj, path, value)
	case "Volume", "Mount", "Tmpfs":
		return p.mountItem(path, last, key, value)
	case "Ulimit":
		name, _, _ := strings.Cut(value, "=")
		return p.named(path, name, func(string) bool { return false })
	case "SecurityLabelType", "SecurityLabelDisable", "SecurityLabelLevel", "SecurityLabelFileType", "SeccompProfile", "NoNewPrivileges":
		opt := map[string]string{"SecurityLabelType": "label:type:" + value, "SecurityLabelDisable": "label:disable",
			"SecurityLabelLevel": "label:level:" + value, "SecurityLabelFileType": "label:filetype:" + value,
			"SeccompProfile": "seccomp:", "NoNewPrivileges": "no-new-privileges"}[key]
		return p.find1(path, func(sub string) bool {
			v := strings.Replace(p.val[sub], "=", ":", 1)
			return v == opt || strings.HasPrefix(v, opt) && (strings.HasSuffix(opt, ":") || strings.HasPrefix(v, opt+":"))
		})
	case "EnvironmentFile":
		file := filepath.Clean(strings.TrimPrefix(value, "-"))
		return p.find1(path, func(sub string) bool {
			v, ok := p.val[sub+".path"]
			if !ok {
				v = p.val[sub]
			}
			v = filepath.Clean(v)
			return v != "." && (file == v || strings.HasSuffix(file, "/"+strings.TrimPrefix(v, "./")))
		})
	case "PublishPort", "ExposeHostPort":
		return p.find1(path, func(sub string) bool { return p.val[sub] == value })
	}
	return ""
}

// mountItem finds the volumes: (or configs:) entry mounted at the target of
// a Volume=, Mount= or Tmpfs= line.
func (p *positions) mountItem(path, last, key, value string) string {
	target := mountTarget(key, value)
	if target == "" {
		return ""
	}
	return p.find1(path, func(sub string) bool {
		if t, ok := p.val[sub+".target"]; ok {
			return filepath.Clean(t) == target
		}
		v, ok := p.val[sub]
		if !ok {
			return false
		}
		if last == "configs" || last == "secrets" {
			return "/"+v == target
		}
		return shortTarget(v) == target
	})
}

// named finds the map entry name of path, or the list item whose scalar
// value matches.
func (p *positions) named(path, name string, match func(v string) bool) string {
	if name == "" {
		return ""
	}
	if _, ok := p.at[path+"."+name]; ok {
		return path + "." + name
	}
	return p.find1(path, func(sub string) bool { v, ok := p.val[sub]; return ok && isIndex(sub, path) && match(v) })
}

// below finds, depth first in file order, the entry under path whose key is
// item or whose scalar value is item (or item=...).
func (p *positions) below(path, item string) string {
	for _, sub := range p.kids[path] {
		if strings.TrimPrefix(sub, path+".") == item {
			return sub
		}
		if v, ok := p.val[sub]; ok && (v == item || strings.HasPrefix(v, item+"=")) {
			return sub
		}
		if found := p.below(sub, item); found != "" {
			return found
		}
	}
	return ""
}

// find1 returns the first child of path that matches.
func (p *positions) find1(path string, match func(sub string) bool) string {
	for _, sub := range p.kids[path] {
		if match(sub) {
			return sub
		}
	}
	return ""
}

// flagItem: PodmanArgs=--ulimit=nofile=1024 names ulimits.nofile; a list
// key (security_opt, device_cgroup_rules) by the flag's value.
func (p *positions) flagItem(path, value string) string {
	_, arg, _ := strings.Cut(strings.Trim(value, `"'`), "=")
	if arg == "" {
		return ""
	}
	name, _, _ := strings.Cut(arg, "=")
	if _, ok := p.at[path+"."+name]; ok {
		return path + "." + name
	}
	return p.find1(path, func(sub string) bool { // security_opt: seccomp:x or seccomp=x
		v := p.val[sub]
		return v == arg || strings.Replace(v, ":", "=", 1) == arg
	})
}

// secretItem: Secret=NAME,type=env,target=VAR comes from environment.VAR
// (a secret-looking value berth keeps out of the unit); other secrets from
// the service's secrets: entry of that source.
func (p *positions) secretItem(proj *Project, path, value string) string {
	fields := strings.Split(value, ",")
	name, target, isEnv := fields[0], "", false
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		switch k {
		case "type":
			isEnv = v == "env"
		case "target":
			target = v
		}
	}
	if strings.HasSuffix(path, ".environment") {
		if !isEnv {
			return ""
		}
		return p.named(path, target, func(v string) bool { return v == target || strings.HasPrefix(v, target+"=") })
	}
	if isEnv {
		return ""
	}
	return p.find1(path, func(sub string) bool {
		src, ok := p.val[sub+".source"]
		if !ok {
			src = p.val[sub]
		}
		if src == "" {
			return false
		}
		if cfg, ok := proj.Secrets[src]; ok && bool(cfg.External) && (cfg.Name == name || cfg.Name == "" && src == name) {
			return true
		}
		return name == proj.Name+"_"+src
	})
}

// serviceOfUnit is the service whose container unit (or a replica's) is
// named.
func serviceOfUnit(proj *Project, unit string) (string, bool) {
	base, ok := strings.CutSuffix(unit, ".container")
	if !ok {
		return "", false
	}
	name, ok := strings.CutPrefix(base, proj.Name+"-")
	if !ok {
		return "", false
	}
	if _, ok := proj.Services[name]; ok {
		return name, true
	}
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, ok := proj.Services[name[:i]]; ok {
			return name[:i], true
		}
	}
	return "", false
}

// mountTarget is the container path of a Volume=, Mount= or Tmpfs= value.
func mountTarget(key, value string) string {
	switch key {
	case "Mount":
		for _, f := range strings.Split(value, ",") {
			k, v, _ := strings.Cut(f, "=")
			if k == "destination" || k == "target" || k == "dst" {
				return filepath.Clean(v)
			}
		}
		return ""
	case "Tmpfs":
		t, _, _ := strings.Cut(value, ":")
		return filepath.Clean(t)
	}
	return shortTarget(value)
}

// shortTarget is the container path of a short mount (SRC:DST[:OPTS], or
// DST alone).
func shortTarget(v string) string {
	parts := strings.Split(v, ":")
	if len(parts) == 1 {
		return filepath.Clean(parts[0])
	}
	return filepath.Clean(parts[1])
}
